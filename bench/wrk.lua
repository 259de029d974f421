-- wrk script for `make bench` (bench/run.py): counts every response status and writes a JSON summary.
--
-- Environment (set by run.py):
--   BENCH_OUT       where done() writes the JSON summary (required)
--   BENCH_EXPECT    the status every response must have (200 for GET /health, 201 for POST /memos)
--   BENCH_TEMPLATE  a MeMo template file: when set, every request is a POST /apis/v1/memos with a fresh
--                   UUIDv4 in the query string and in the MeMo ({{UUID}}), plus base64 of the UUID's
--                   ASCII bytes where the template says {{UUID64}} (see bench/payload.py)
--   BENCH_TOKEN     the sender system's API token (POST only)
--   BENCH_PATH      request path for POST (default /apis/v1/memos)

local expect = tonumber(os.getenv("BENCH_EXPECT") or "200")
local out_path = os.getenv("BENCH_OUT")
local template_path = os.getenv("BENCH_TEMPLATE")
local post_path = os.getenv("BENCH_PATH") or "/apis/v1/memos"

-- ---------------------------------------------------------------- main state: threads for done()
local threads = {}

function setup(thread)
   thread:set("id", #threads + 1)
   table.insert(threads, thread)
end

-- ---------------------------------------------------------------- thread state
statuses = {}
bad = 0
sample = ""

local function seed_random()
   local f = io.open("/dev/urandom", "rb")
   local bytes = f:read(6)
   f:close()
   local seed = 0
   for i = 1, #bytes do
      seed = seed * 256 + bytes:byte(i)
   end
   math.randomseed(seed + (id or 0))
   for _ = 1, 10 do math.random() end
end

local random = math.random
local format = string.format

-- A version-4 UUID: 122 random bits, version nibble 4, variant bits 10xx.
local function uuid4()
   return format("%04x%04x-%04x-4%03x-%x%03x-%04x%04x%04x",
      random(0, 0xffff), random(0, 0xffff), random(0, 0xffff), random(0, 0xfff),
      random(8, 11), random(0, 0xfff), random(0, 0xffff), random(0, 0xffff), random(0, 0xffff))
end

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local b64chars = {}
for i = 1, 64 do b64chars[i - 1] = B64:sub(i, i) end

-- base64 of a string whose length is a multiple of 3 (a UUID: 36 bytes -> 48 characters, no padding)
local function b64(s)
   local out = {}
   for i = 1, #s, 3 do
      local a, b, c = s:byte(i, i + 2)
      local n = a * 65536 + b * 256 + c
      out[#out + 1] = b64chars[math.floor(n / 262144) % 64] .. b64chars[math.floor(n / 4096) % 64]
         .. b64chars[math.floor(n / 64) % 64] .. b64chars[n % 64]
   end
   return table.concat(out)
end

-- The template split at its markers: parts[i] is literal text, "U" (UUID) or "B" (base64 of the UUID).
local parts = nil

local function load_template(path)
   local f = assert(io.open(path, "rb"), "cannot open BENCH_TEMPLATE " .. path)
   local text = f:read("*a")
   f:close()
   local list, pos = {}, 1
   while true do
      local su, eu = text:find("{{UUID}}", pos, true)
      local sb, eb = text:find("{{UUID64}}", pos, true)
      local s, e, kind
      if su and (not sb or su < sb) then s, e, kind = su, eu, "U" elseif sb then s, e, kind = sb, eb, "B" end
      if not s then break end
      list[#list + 1] = { text = text:sub(pos, s - 1) }
      list[#list + 1] = { kind = kind }
      pos = e + 1
   end
   list[#list + 1] = { text = text:sub(pos) }
   return list
end

function init(args)
   seed_random()
   if template_path then
      parts = load_template(template_path)
      wrk.method = "POST"
      wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "")
      wrk.headers["Content-Type"] = "application/xml"
   end
end

if template_path then
   -- Only defined for POST: without request() wrk sends one precomputed GET, the cheapest client.
   function request()
      local u = uuid4()
      local enc = b64(u)
      local buf = {}
      for i = 1, #parts do
         local p = parts[i]
         if p.text then buf[i] = p.text elseif p.kind == "U" then buf[i] = u else buf[i] = enc end
      end
      return wrk.format(nil, post_path .. "?memo-message-uuid=" .. u, nil, table.concat(buf))
   end
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   if status ~= expect then
      bad = bad + 1
      if sample == "" then sample = tostring(status) .. " " .. string.sub(body or "", 1, 400) end
   end
end

-- ---------------------------------------------------------------- main state: the summary
local function json_string(s)
   return '"' .. s:gsub('[%c"\\]', function(c) return format("\\u%04x", c:byte()) end) .. '"'
end

function done(summary, latency, requests)
   local merged, total_bad, first = {}, 0, ""
   for _, t in ipairs(threads) do
      total_bad = total_bad + (t:get("bad") or 0)
      for k, v in pairs(t:get("statuses") or {}) do
         merged[tostring(k)] = (merged[tostring(k)] or 0) + v
      end
      local s = t:get("sample")
      if first == "" and s and s ~= "" then first = s end
   end
   local st = {}
   for k, v in pairs(merged) do st[#st + 1] = format("%s:%d", json_string(k), v) end
   local e = summary.errors
   local pct = {}
   for _, p in ipairs({ 50, 75, 90, 99, 99.9 }) do
      pct[#pct + 1] = format('"%s":%d', tostring(p), latency:percentile(p))
   end
   local f = assert(io.open(out_path, "w"), "cannot write BENCH_OUT " .. tostring(out_path))
   f:write(format(
      '{"requests":%d,"duration_us":%d,"bytes":%d,"expected_status":%d,"unexpected_status":%d,'
      .. '"statuses":{%s},"sample_error":%s,'
      .. '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"http_errors":%d,'
      .. '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,"percentiles":{%s}}}\n',
      summary.requests, summary.duration, summary.bytes, expect, total_bad,
      table.concat(st, ","), json_string(first),
      e.connect, e.read, e.write, e.timeout, e.status,
      latency.min, latency.mean, latency.stdev, latency.max, table.concat(pct, ",")))
   f:close()
end
