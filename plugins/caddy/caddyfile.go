package tollgatecaddy

import (
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("tollgate", parseCaddyfile)
	// Checks run before the request is proxied or answered.
	httpcaddyfile.RegisterDirectiveOrder("tollgate", httpcaddyfile.Before, "reverse_proxy")
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	m := new(Handler)
	err := m.UnmarshalCaddyfile(h.Dispenser)
	return m, err
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens:
//
//	tollgate {
//		engine   wasm|native
//		policy   <profile>|<file.json>
//		tables   <set>|<file.json>
//		max_body <bytes>[k|m]
//		pin <field> {
//			extensions|first_name|last_name|dob|previous <request field>
//			policy <profile>|<file.json>
//		}
//		password <field> {
//			alias|extensions|old|previous <request field>
//			policy <profile>|<file.json>
//		}
//		dial <field> {
//			table <name>
//			cos <name>
//			feature <name>
//		}
//	}
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the directive name
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		switch opt := d.Val(); opt {
		case "engine":
			if !d.NextArg() {
				return d.ArgErr()
			}
			h.Engine = d.Val()
		case "policy", "tables":
			if !d.NextArg() {
				return d.ArgErr()
			}
			var err error
			if opt == "policy" {
				h.Policy, err = readPolicy(d.Val())
			} else {
				h.Tables, err = readTables(d.Val())
			}
			if err != nil {
				return d.Errf("%s: %v", opt, err)
			}
		case "max_body":
			if !d.NextArg() {
				return d.ArgErr()
			}
			n, err := parseSize(d.Val())
			if err != nil {
				return d.Errf("max_body %q: %v", d.Val(), err)
			}
			h.MaxBody = n
		case CheckPIN, CheckPassword, CheckDial:
			f := Field{Check: opt}
			if !d.NextArg() {
				return d.Errf("%s: which request field?", opt)
			}
			f.Name = d.Val()
			if d.NextArg() {
				return d.ArgErr()
			}
			for nesting := d.Nesting(); d.NextBlock(nesting); {
				key := d.Val()
				if !d.NextArg() {
					return d.ArgErr()
				}
				val := d.Val()
				switch {
				case key == "policy" && opt != CheckDial:
					p, err := readPolicy(val)
					if err != nil {
						return d.Errf("policy: %v", err)
					}
					f.Policy = p
				case key == "table" && opt == CheckDial:
					f.Table = val
				case key == "cos" && opt == CheckDial:
					f.Cos = val
				case key == "feature" && opt == CheckDial:
					f.Feature = val
				case contains(contextKeys[opt], key):
					if f.Context == nil {
						f.Context = map[string]string{}
					}
					f.Context[key] = val
				default:
					return d.Errf("%s %s: unknown option %q", opt, f.Name, key)
				}
				if d.NextArg() {
					return d.ArgErr()
				}
			}
			h.Fields = append(h.Fields, f)
		default:
			return d.Errf("unknown tollgate option %q", opt)
		}
	}
	return nil
}

// parseSize reads a byte count with an optional k or m suffix (1024-based).
func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch l := strings.ToLower(s); {
	case strings.HasSuffix(l, "k"), strings.HasSuffix(l, "kib"), strings.HasSuffix(l, "kb"):
		mult, s = 1<<10, strings.TrimRight(l, "kib")
	case strings.HasSuffix(l, "m"), strings.HasSuffix(l, "mib"), strings.HasSuffix(l, "mb"):
		mult, s = 1<<20, strings.TrimRight(l, "mib")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, strconv.ErrSyntax
	}
	return n * mult, nil
}

var _ caddyfile.Unmarshaler = (*Handler)(nil)
