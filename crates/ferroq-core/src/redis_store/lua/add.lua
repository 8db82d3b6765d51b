--[[ add.lua — adds a batch of jobs in one atomic step (queue.add and addBulk).

  KEYS[1] id counter      KEYS[2] wait        KEYS[3] prioritized
  KEYS[4] priority seq    KEYS[5] delayed     KEYS[6] marker
  ARGV[1] job key prefix (`<p>:{q}:job:`)
  ARGV[2] number of jobs
  ARGV[3…] 8 per job: custom id ('' to generate one), name, data JSON, opts JSON,
           delay ms, priority, lifo ('1' or '0'), timestamp ms
  Returns {id, existed, id, existed, …}: existed is 1 when a job with that custom id
  was already there (it is left untouched).
]]
local jobPrefix = ARGV[1]
local count = tonumber(ARGV[2])
local FIELDS = 8

local generated = 0
for i = 0, count - 1 do
  if ARGV[3 + i * FIELDS] == '' then generated = generated + 1 end
end
local nextId = 0
if generated > 0 then
  nextId = rcall('INCRBY', KEYS[1], generated) - generated + 1
end

local result = {}
local toWait, toFront = {}, {}
local earliestDue = nil
local anyReady = false
for i = 0, count - 1 do
  local base = 3 + i * FIELDS
  local id = ARGV[base]
  local custom = id ~= ''
  if not custom then
    id = tostring(nextId)
    nextId = nextId + 1
  end
  local jobKey = jobPrefix .. id
  -- Only a custom id can already exist: custom ids are never integers, so they cannot
  -- collide with generated ones, and a generated id is fresh by construction.
  if custom and rcall('EXISTS', jobKey) == 1 then
    result[#result + 1] = id
    result[#result + 1] = 1
  else
    local delay = tonumber(ARGV[base + 4])
    local priority = tonumber(ARGV[base + 5])
    local lifo = ARGV[base + 6]
    local timestamp = tonumber(ARGV[base + 7])
    local state
    if delay > 0 then
      state = 'delayed'
    elseif priority > 0 then
      state = 'prioritized'
    else
      state = 'waiting'
    end
    -- Numbers are stored as the text they came in (Lua would format each one anew).
    rcall('HSET', jobKey, 'name', ARGV[base + 1], 'data', ARGV[base + 2], 'opts', ARGV[base + 3],
      'timestamp', ARGV[base + 7], 'delay', ARGV[base + 4], 'priority', ARGV[base + 5], 'atm', '0',
      'state', state)
    if lifo == '1' then rcall('HSET', jobKey, 'lifo', '1') end
    if state == 'delayed' then
      local due = timestamp + delay
      rcall('ZADD', KEYS[5], due, id)
      if earliestDue == nil or due < earliestDue then earliestDue = due end
    elseif state == 'prioritized' then
      rcall('ZADD', KEYS[3], prioritized_score(KEYS[4], priority), id)
      anyReady = true
    elseif lifo == '1' then
      toFront[#toFront + 1] = id
    else
      toWait[#toWait + 1] = id
    end
    result[#result + 1] = id
    result[#result + 1] = 0
  end
end

call_chunked('LPUSH', KEYS[2], toWait)
call_chunked('RPUSH', KEYS[2], toFront)
if anyReady or #toWait > 0 or #toFront > 0 then
  signal_work(KEYS[6])
end
if earliestDue then
  -- The delayed marker carries the earliest due time; LT only ever moves it earlier.
  rcall('ZADD', KEYS[6], 'LT', earliestDue, 'd')
end
return result
