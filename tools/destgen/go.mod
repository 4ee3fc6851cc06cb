module github.com/tollgate/tollgate/tools/destgen

go 1.26.0

require (
	github.com/nyaruka/phonenumbers v1.8.1
	github.com/tollgate/tollgate v0.0.0
	google.golang.org/protobuf v1.36.12
)

require golang.org/x/text v0.42.0 // indirect

replace github.com/tollgate/tollgate => ../..
