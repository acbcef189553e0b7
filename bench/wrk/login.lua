-- wrk: POST a JSON login for one user (MFA off), the same request on every call.
-- Usage: wrk ... -s login.lua <url> -- <path>
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username":"bench-plain","password":"bench-password","appId":"mfa-bench"}'

function init(args)
  wrk.path = args[1]
end
