package api

// DefaultProfile is the policy of a request that names none.
const DefaultProfile = "cuc"
