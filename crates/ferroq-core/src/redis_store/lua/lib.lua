--[[ lib.lua — helpers prepended to the scripts that move jobs into a waiting state
  or take jobs for a worker. Not a script of its own: it declares no KEYS or ARGV.

  Conventions: a job lives in the hash `<jobPrefix><id>`; `wait` is pushed on the
  left and taken from the right, so RPUSH puts a job first in line.
]]
local rcall = redis.call

-- Redis' Lua cannot unpack arbitrarily long tables; commands taking many members
-- are sent in chunks of this size.
local CHUNK = 4000

-- Calls `cmd key <prefixArgs...> members...` in chunks. `stride` keeps pairs together.
local function call_chunked(cmd, key, members, stride)
  local n = #members
  local step = CHUNK * (stride or 1)
  for i = 1, n, step do
    rcall(cmd, key, unpack(members, i, math.min(i + step - 1, n)))
  end
end

-- Priorities share one zset; the sequence keeps equal priorities FIFO. Scores stay
-- below 2^53 (priority ≤ 2^21, sequence < 2^31), so doubles hold them exactly.
local function prioritized_score(priorityCounterKey, priority)
  local seq = rcall('INCR', priorityCounterKey) % 2147483648
  return priority * 2147483648 + seq
end

-- Moves a job into the waiting line its options call for: `prioritized` when it has a
-- priority, else `wait` (last in line, or first with lifo / `front`).
-- Returns the state name it was given.
local function push_waiting(jobKey, id, waitKey, prioritizedKey, priorityCounterKey, front)
  local fields = rcall('HMGET', jobKey, 'priority', 'lifo')
  local priority = tonumber(fields[1]) or 0
  local state
  if priority > 0 then
    rcall('ZADD', prioritizedKey, prioritized_score(priorityCounterKey, priority), id)
    state = 'prioritized'
  else
    if front or fields[2] == '1' then
      rcall('RPUSH', waitKey, id)
    else
      rcall('LPUSH', waitKey, id)
    end
    state = 'waiting'
  end
  rcall('HSET', jobKey, 'state', state)
  return state
end

-- Wakes one idle worker blocked on the marker (BZPOPMIN).
local function signal_work(markerKey)
  rcall('ZADD', markerKey, '0', '0')
end

-- Moves delayed jobs whose time has come into their waiting line.
-- Returns how many moved.
local function promote_due(delayedKey, jobPrefix, now, waitKey, prioritizedKey, priorityCounterKey)
  local due = rcall('ZRANGEBYSCORE', delayedKey, '-inf', now, 'LIMIT', '0', '1000')
  if #due == 0 then return 0 end
  call_chunked('ZREM', delayedKey, due)
  for _, id in ipairs(due) do
    push_waiting(jobPrefix .. id, id, waitKey, prioritizedKey, priorityCounterKey, false)
  end
  return #due
end

-- Takes up to `n` jobs (plain waiting jobs before prioritized ones, as BullMQ),
-- locks them with `token` until `deadline` (ms, as text; `now` too) and appends
-- {id, {values of `fields`}} pairs to `out` (`fields[1]` must be one every job has;
-- `fields[atsAt]` is `ats`, the attempts started, which the fetch counts up).
-- Jobs whose hash vanished are dropped. With `passOn` (the caller was woken by
-- the marker) and jobs left over, the marker is set again so the next idle worker
-- wakes too. Returns the number taken.
local function take_jobs(out, n, passOn, token, deadline, now, fields, atsAt, jobPrefix, waitKey,
                         prioritizedKey, activeKey, locksKey, markerKey)
  if n <= 0 then return 0 end
  local ids = {}
  local popped = rcall('RPOP', waitKey, n)
  if popped then
    for i = 1, #popped do ids[#ids + 1] = popped[i] end
  end
  if #ids < n then
    local best = rcall('ZPOPMIN', prioritizedKey, n - #ids)
    for i = 1, #best, 2 do ids[#ids + 1] = best[i] end
  end
  if #ids == 0 then return 0 end

  local scored, tokens = {}, {}
  local taken = 0
  for _, id in ipairs(ids) do
    local jobKey = jobPrefix .. id
    local values = rcall('HMGET', jobKey, unpack(fields))
    if values[1] then
      local started = tostring((tonumber(values[atsAt]) or 0) + 1)
      values[atsAt] = started
      rcall('HSET', jobKey, 'state', 'active', 'processedOn', now, 'ats', started)
      out[#out + 1] = id
      out[#out + 1] = values
      taken = taken + 1
      scored[taken * 2 - 1] = deadline
      scored[taken * 2] = id
      tokens[taken * 2 - 1] = id
      tokens[taken * 2] = token
    end
  end
  if taken > 0 then
    call_chunked('ZADD', activeKey, scored, 2)
    call_chunked('HSET', locksKey, tokens, 2)
  end
  if passOn and #ids == n and (rcall('LLEN', waitKey) > 0 or rcall('ZCARD', prioritizedKey) > 0) then
    signal_work(markerKey)
  end
  return taken
end
