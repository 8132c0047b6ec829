-- wrk script of scripts/overload: a mix of valid and invalid requests against Rewind's intake endpoints.
-- Environment: REWIND_EVENTS_TOKEN (the `events` scope). Each connection cycles through the requests below.
local token = os.getenv("REWIND_EVENTS_TOKEN") or ""
local now = os.date("!%Y-%m-%dT%H:%M:%SZ")
local json = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
local text = { ["Content-Type"] = "text/plain", ["Authorization"] = "Bearer " .. token }
local anonymous = { ["Content-Type"] = "application/json" }
local wrong = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer not-a-token" }

local event = '{"events":[{"service":"frontend","signal":"conversion_rate","value":0.04,"at":"' .. now .. '"}]}'
local alert = '{"version":"4","status":"firing","receiver":"rewind","groupKey":"k","alerts":[{"status":"firing",'
  .. '"labels":{"alertname":"CampaignNoise","service":"not-watched","severity":"info"},"annotations":{},'
  .. '"startsAt":"' .. now .. '","fingerprint":"f1"}]}'
local big = '{"events":[' .. string.rep('{"service":"frontend","signal":"x","value":1},', 2000) .. '{}]}'

local requests = {}
local function add(method, path, headers, body) requests[#requests + 1] = wrk.format(method, path, headers, body) end
add("POST", "/api/v1/events", json, event)                       -- valid: 202
add("POST", "/api/v1/events", json, '{"events":[{"service":')    -- malformed JSON: 400
add("POST", "/api/v1/events", anonymous, event)                  -- no token: 401
add("POST", "/api/v1/events", wrong, event)                      -- wrong token: 401
add("POST", "/api/v1/events", text, event)                       -- text/plain: 415
add("POST", "/api/v1/events", json, big)                         -- too many events / too large: 400 or 413
add("POST", "/api/v1/events", json, '{"events":[{"service":"nope","signal":"s","value":1}]}')  -- unknown service: 422
add("POST", "/hooks/alertmanager", json, alert)                  -- valid (events scope): 200
add("POST", "/hooks/alertmanager", anonymous, alert)             -- no token: 401
add("POST", "//hooks//alertmanager/", anonymous, alert)          -- odd path, no token: 401/404
add("POST", "/hooks/alertmanager", json, "not json at all")      -- malformed: 400

local counter = 0
function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end
