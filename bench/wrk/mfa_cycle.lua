-- wrk: an MFA login as a cycle of three requests on one connection:
-- login (answers an mfaToken) -> challenge -> verify, then again.
-- Run with as many threads as connections (-t N -c N): each thread's state then
-- follows one connection, whose requests wrk sends one after the other.
-- Usage: wrk ... -s mfa_cycle.lua <url> -- <login path> <challenge path> <verify path>
-- Against the fakes straight, the login answers a core token, used the same way.
local paths = {}
local step = 0
local token = nil
local login_body = '{"username":"bench-mfa","password":"bench-password","appId":"mfa-bench"}'

function init(args)
  paths = args
end

local function post(path, body)
  local headers = { ["Content-Type"] = "application/json" }
  if token then
    headers["Authorization"] = token
  end
  return wrk.format("POST", path, headers, body)
end

function request()
  if step == 1 then
    return post(paths[2], "{}")
  elseif step == 2 then
    return post(paths[3], '{"code":"123456"}')
  end
  token = nil
  return post(paths[1], login_body)
end

function response(status, headers, body)
  if step == 0 then
    token = body:match('"mfaToken":"([^"]+)"') or body:match('"token":"([^"]+)"')
    step = token and 1 or 0
  elseif step == 1 then
    step = 2
  else
    step = 0
  end
end
