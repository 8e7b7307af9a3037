-- POST /api/v1/transfers for bench/http_bench.py: one unit between two accounts of the
-- same member, a fresh Idempotency-Key on every request (the run's prefix, the thread's
-- number, a counter), and report.lua's done() for the figures.
--
--   wrk -s bench/transfer.lua http://127.0.0.1:PORT/api/v1/transfers -- TOKEN FROM TO PREFIX

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

local counter = 0
local key_prefix, headers, body

function init(args)
  local token, from_account, to_account, run_prefix = args[1], args[2], args[3], args[4]
  if not (token and from_account and to_account and run_prefix) then
    error("usage: wrk -s transfer.lua URL -- TOKEN FROM_ACCOUNT TO_ACCOUNT PREFIX")
  end
  key_prefix = run_prefix .. "-" .. tostring(thread_number) .. "-"
  headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }
  body = string.format(
    '{"fromAccountId":"%s","toAccountId":"%s","amount":1,"memo":"bench"}',
    from_account, to_account
  )
end

function request()
  counter = counter + 1
  headers["Idempotency-Key"] = key_prefix .. counter
  return wrk.format("POST", nil, headers, body)
end
