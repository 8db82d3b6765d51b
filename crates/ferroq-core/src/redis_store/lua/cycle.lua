--[[ cycle.lua — the worker's one call per round trip: finish jobs, promote due
  delayed jobs, take new jobs. With nothing to finish it is a plain fetch.

  KEYS[1] wait       KEYS[2] prioritized   KEYS[3] priority seq   KEYS[4] delayed
  KEYS[5] active     KEYS[6] locks         KEYS[7] marker
  KEYS[8] completed  KEYS[9] failed
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] now (ms)
  ARGV[4] jobs to take     ARGV[5] lock token for them   ARGV[6] lock duration (ms)
  ARGV[7] '1' when the worker was just woken by the marker (pass the wake-up on)
  ARGV[8] number of finished jobs, then 9 per job:
          id, token, kind ('c' completed | 'r' retry | 'f' failed),
          value (returnvalue JSON for 'c', failed reason otherwise),
          stacktrace JSON, attemptsMade, retry delay (ms),
          keep count (-1: all, 0: remove now), keep age (s, -1: any)
  then the job-hash fields to return for each job taken: their number, then names
  (one of them `ats`: the fetch counts it up and returns the new value)
  then lock tokens to reclaim: their number, then the tokens. Jobs still locked with
  one (an earlier call of this worker ran, but its answer was lost) go back to
  waiting, first in line, before the fetch.
  Returns {finishedFlags, nextDelayed, id, values, id, values, …}
    finishedFlags: 1 per finished job, 0 where the token did not hold the lock (the
                   job was recovered as stalled: nothing is written for it). A job
                   this token already finished (a call whose answer was lost, sent
                   again) counts as 1: its field `ftk` names the token that finished it.
    nextDelayed:   due time of the earliest delayed job, or -1; only looked up when
                   fewer jobs were taken than asked
    values:        the job's values of the named fields (HMGET; nil where unset)
  (Room left for QueueEvents and metrics: one XADD per finished job and one HINCRBY
  per call fit here.)
]]
local jobPrefix, logsPrefix = ARGV[1], ARGV[2]
local now = tonumber(ARGV[3])
-- Times go into commands as the text they came in: Lua would format each number
-- anew (sprintf '%.17g') for every job.
local nowText = ARGV[3]
local fetchCount = tonumber(ARGV[4])
local token = ARGV[5]
local lockDuration = tonumber(ARGV[6])
local passOn = ARGV[7] == '1'
local finishCount = tonumber(ARGV[8])
local FIELDS = 9
local fieldsAt = 9 + finishCount * FIELDS
local jobFields = {unpack(ARGV, fieldsAt + 1, fieldsAt + tonumber(ARGV[fieldsAt]))}
local atsAt
for i, field in ipairs(jobFields) do
  if field == 'ats' then atsAt = i end
end
local reclaimAt = fieldsAt + 1 + #jobFields
local reclaimCount = tonumber(ARGV[reclaimAt])
local waitKey, prioritizedKey, seqKey, delayedKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local activeKey, locksKey, markerKey = KEYS[5], KEYS[6], KEYS[7]

local function remove_jobs(ids)
  local keys = {}
  for _, id in ipairs(ids) do
    keys[#keys + 1] = jobPrefix .. id
    keys[#keys + 1] = logsPrefix .. id
  end
  for i = 1, #keys, CHUNK do
    rcall('DEL', unpack(keys, i, math.min(i + CHUNK - 1, #keys)))
  end
end

-- Retention per finished set, applied once per distinct rule after the batch.
local retention = {}
local function retain(setKey, count, age)
  retention[setKey .. '\0' .. count .. '\0' .. age] = {setKey, count, age}
end
local function apply_retention(rule)
  local setKey, count, age = rule[1], rule[2], rule[3]
  if age >= 0 then
    local old = rcall('ZRANGEBYSCORE', setKey, '-inf', now - age * 1000, 'LIMIT', 0, 1000)
    if #old > 0 then
      remove_jobs(old)
      call_chunked('ZREM', setKey, old)
    end
  end
  if count >= 0 then
    local excess = rcall('ZRANGE', setKey, 0, -(count + 1))
    if #excess > 0 then
      remove_jobs(excess)
      rcall('ZREMRANGEBYRANK', setKey, 0, #excess - 1)
    end
  end
end

local flags = {}
if finishCount > 0 then
  local ids = {}
  for i = 0, finishCount - 1 do ids[#ids + 1] = ARGV[9 + i * FIELDS] end
  local holders = {}
  for i = 1, #ids, CHUNK do
    local part = rcall('HMGET', locksKey, unpack(ids, i, math.min(i + CHUNK - 1, #ids)))
    for _, t in ipairs(part) do holders[#holders + 1] = t end
  end

  local released, completed, failed = {}, {}, {}
  local signal = false
  for i = 0, finishCount - 1 do
    local base = 9 + i * FIELDS
    local id = ARGV[base]
    local finishToken = ARGV[base + 1]
    if holders[i + 1] ~= finishToken then
      local finishedBy = rcall('HGET', jobPrefix .. id, 'ftk')
      flags[#flags + 1] = (finishedBy == finishToken) and 1 or 0
    else
      flags[#flags + 1] = 1
      released[#released + 1] = id
      local jobKey = jobPrefix .. id
      local kind, value, stack, atm = ARGV[base + 2], ARGV[base + 3], ARGV[base + 4], ARGV[base + 5]
      local keepCount, keepAge = tonumber(ARGV[base + 7]), tonumber(ARGV[base + 8])
      if kind == 'r' then
        local delay = tonumber(ARGV[base + 6])
        if delay > 0 then
          -- `delay` shows the backoff while the job waits for its next attempt (BullMQ's).
          rcall('HSET', jobKey, 'atm', atm, 'failedReason', value, 'stacktrace', stack,
            'state', 'delayed', 'delay', ARGV[base + 6], 'ftk', finishToken)
          rcall('ZADD', delayedKey, now + delay, id)
          rcall('ZADD', markerKey, 'LT', now + delay, 'd')
        else
          rcall('HSET', jobKey, 'atm', atm, 'failedReason', value, 'stacktrace', stack,
            'ftk', finishToken)
          push_waiting(jobKey, id, waitKey, prioritizedKey, seqKey, false)
          signal = true
        end
      elseif keepCount == 0 then
        remove_jobs({id})
      else
        local setKey
        if kind == 'c' then
          setKey = KEYS[8]
          rcall('HSET', jobKey, 'state', 'completed', 'returnvalue', value, 'finishedOn', nowText,
            'atm', atm, 'ftk', finishToken)
          completed[#completed + 1] = nowText
          completed[#completed + 1] = id
        else
          setKey = KEYS[9]
          rcall('HSET', jobKey, 'state', 'failed', 'failedReason', value, 'stacktrace', stack,
            'finishedOn', nowText, 'atm', atm, 'ftk', finishToken)
          failed[#failed + 1] = nowText
          failed[#failed + 1] = id
        end
        if keepCount > 0 or keepAge >= 0 then retain(setKey, keepCount, keepAge) end
      end
    end
  end
  call_chunked('HDEL', locksKey, released)
  call_chunked('ZREM', activeKey, released)
  call_chunked('ZADD', KEYS[8], completed, 2)
  call_chunked('ZADD', KEYS[9], failed, 2)
  for _, rule in pairs(retention) do apply_retention(rule) end
  if signal and fetchCount == 0 then signal_work(markerKey) end
end

if reclaimCount > 0 then
  local lost = {}
  for i = 1, reclaimCount do lost[ARGV[reclaimAt + i]] = true end
  local held = rcall('HGETALL', locksKey)
  local orphans = {}
  for i = 1, #held, 2 do
    if lost[held[i + 1]] then orphans[#orphans + 1] = held[i] end
  end
  if #orphans > 0 then
    call_chunked('HDEL', locksKey, orphans)
    call_chunked('ZREM', activeKey, orphans)
    for _, id in ipairs(orphans) do
      push_waiting(jobPrefix .. id, id, waitKey, prioritizedKey, seqKey, true)
    end
  end
end

promote_due(delayedKey, jobPrefix, nowText, waitKey, prioritizedKey, seqKey)

local result = {flags, -1}
local taken = take_jobs(result, fetchCount, passOn, token,
  string.format('%d', now + lockDuration), nowText, jobFields, atsAt, jobPrefix,
  waitKey, prioritizedKey, activeKey, locksKey, markerKey)
if taken < fetchCount or fetchCount == 0 then
  local first = rcall('ZRANGE', delayedKey, '0', '0', 'WITHSCORES')
  if #first > 0 then result[2] = tonumber(first[2]) end
end
return result
