--[[ cycle.lua — the worker's one call per round trip: finish jobs, promote due
  delayed jobs, take new jobs. With nothing to finish it is a plain fetch.

  KEYS    the queue's standard keys (lib.lua)
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] events cap
  ARGV[4] now (ms)   ARGV[5] jobs to take   ARGV[6] lock token for them
  ARGV[7] lock duration (ms)
  ARGV[8] '1' when the worker was just woken by the marker (pass the wake-up on)
  ARGV[9] number of finished jobs, then 10 per job:
          id, token, kind ('c' completed | 'r' retry | 'f' failed | 'e' failed with
          no attempt left | 'w' back to wait, first in line, the attempt not counted),
          value (returnvalue JSON for 'c', failed reason otherwise),
          stacktrace JSON, attemptsMade, retry delay (ms),
          keep count (-1: all, 0: remove now), keep age (s, -1: any),
          the deduplication key the job holds until it ends ('' for none)
  then the job-hash fields to return for each job taken: their number, then names
  (one of them `ats`: the fetch counts it up and returns the new value)
  then lock tokens to reclaim: their number, then the tokens. Jobs still locked with
  one (an earlier call of this worker ran, but its answer was lost) go back to
  waiting, first in line, before the fetch.
  then the worker's rate limit: max, duration (ms) ('0', '0' for none; the queue's
  global rate limit in `meta` takes precedence)
  then the worker's metrics data points ('0': it records no metrics), then the run
  time of the attempts finished here: total ms and 15 bucket counts (metrics.rs)
  last, the worker's name ('' for none), stored with each job taken (`pb`)
  Takes no jobs while the queue is paused, and no more than its global concurrency
  (`meta` field `concurrency`) allows beside the jobs active in every worker.
  Returns {finishedFlags, nextDelayed, limited, id, values, id, values, …}
    finishedFlags: 1 per finished job, 0 where the token did not hold the lock (the
                   job was recovered as stalled: nothing is written for it). A job
                   this token already finished (a call whose answer was lost, sent
                   again) counts as 1: its field `ftk` names the token that finished
                   it, or, for a finish that removes the job, the job is gone. The
                   cancel reason where a cancelled job was to complete or retry: it
                   failed with that reason instead.
    nextDelayed:   due time of the earliest delayed job, or -1; only looked up when
                   fewer jobs were taken than asked
    limited:       1 when the queue is paused (then no job was taken), 2 when its
                   global concurrency held the fetch back, 3 when its rate limit did
                   (then nextDelayed is when a job may start, if sooner), else 0
    values:        the job's values of the named fields (HMGET; nil where unset)
]]
local now = tonumber(ARGV[4])
-- Times go into commands as the text they came in: Lua would format each number
-- anew (sprintf '%.17g') for every job.
local nowText = ARGV[4]
local fetchCount = tonumber(ARGV[5])
local token = ARGV[6]
local lockDuration = tonumber(ARGV[7])
local passOn = ARGV[8] == '1'
local finishCount = tonumber(ARGV[9])
local FIELDS = 10
local FIRST = 10
local fieldsAt = FIRST + finishCount * FIELDS
local jobFields = {unpack(ARGV, fieldsAt + 1, fieldsAt + tonumber(ARGV[fieldsAt]))}
local fieldAt = positions(jobFields)
local reclaimAt = fieldsAt + 1 + #jobFields
local reclaimCount = tonumber(ARGV[reclaimAt])

local line = new_line()
local done = new_finishes()
local flags = {}
if finishCount > 0 then
  local ids = {}
  for i = 0, finishCount - 1 do ids[#ids + 1] = ARGV[FIRST + i * FIELDS] end
  local holders = {}
  for i = 1, #ids, CHUNK do
    local part = rcall('HMGET', Q.locks, unpack(ids, i, math.min(i + CHUNK - 1, #ids)))
    for _, t in ipairs(part) do holders[#holders + 1] = t end
  end

  local held = {}
  for i = 0, finishCount - 1 do
    if holders[i + 1] == ARGV[FIRST + i * FIELDS + 1] then held[#held + 1] = ids[i + 1] end
  end
  local cancelled = take_cancels(held)

  local released = {}
  for i = 0, finishCount - 1 do
    local base = FIRST + i * FIELDS
    local id = ARGV[base]
    local finishToken = ARGV[base + 1]
    if holders[i + 1] ~= finishToken then
      -- Not locked by this token. Stored already if this token finished the job (the
      -- same finish sent again after its answer was lost), or if the job is gone and
      -- unlocked while this finish removes it anyway (a removed job keeps no `ftk`).
      -- Otherwise the lock was lost: nothing is written.
      local jobKey = Q.jobPrefix .. id
      local stored = rcall('HMGET', jobKey, 'ftk', 'state', 'failedReason')
      local kind = ARGV[base + 2]
      local removes = kind ~= 'r' and tonumber(ARGV[base + 7]) == 0
      local gone = removes and not holders[i + 1] and rcall('EXISTS', jobKey) == 0
      if stored[1] == finishToken and stored[2] == 'failed' and (kind == 'c' or kind == 'r' or kind == 'w') then
        -- It was cancelled, and failed instead (the first answer said so).
        flags[#flags + 1] = stored[3] or ''
      else
        flags[#flags + 1] = (stored[1] == finishToken or gone) and 1 or 0
      end
    else
      flags[#flags + 1] = 1
      released[#released + 1] = id
      local jobKey = Q.jobPrefix .. id
      local kind, value, stack, atm = ARGV[base + 2], ARGV[base + 3], ARGV[base + 4], ARGV[base + 5]
      local keepCount, keepAge = tonumber(ARGV[base + 7]), tonumber(ARGV[base + 8])
      -- The job ends here (it does unless it retries or waits again, or is cancelled
      -- anyway): its deduplication id is free.
      local deKey = ARGV[base + 9]
      if deKey ~= '' and (cancelled[id] or (kind ~= 'r' and kind ~= 'w')) then
        release_dedup(deKey, id)
      end
      if cancelled[id] and (kind == 'c' or kind == 'r' or kind == 'w') then
        -- Cancelled while its worker had not heard of it: fails all the same.
        flags[#flags] = cancelled[id]
        fail_cancelled(done, id, cancelled[id], nowText, 'active', {'atm', atm, 'ftk', finishToken})
      elseif kind == 'r' then
        local delay = tonumber(ARGV[base + 6])
        local dueAt = nil
        if delay > 0 then dueAt = now + delay end
        place_stored(line, id, jobKey, dueAt, false, 'failed')
        local fields = {'atm', atm, 'failedReason', value, 'stacktrace', stack, 'ftk', finishToken}
        -- `delay` shows the backoff while the job waits for its next attempt (BullMQ's).
        if dueAt then
          fields[#fields + 1] = 'delay'
          fields[#fields + 1] = ARGV[base + 6]
        end
        rcall('HSET', jobKey, unpack(fields))
      elseif kind == 'w' then
        place_stored(line, id, jobKey, nil, true, 'active')
        rcall('HSET', jobKey, 'ftk', finishToken)
      elseif kind == 'c' then
        finish(done, id, 'completed', nowText,
          {'returnvalue', value, 'atm', atm, 'ftk', finishToken}, keepCount, keepAge, value)
      else
        finish(done, id, 'failed', nowText,
          {'failedReason', value, 'stacktrace', stack, 'atm', atm, 'ftk', finishToken},
          keepCount, keepAge, value, kind == 'e' and atm or nil)
      end
    end
  end
  call_chunked('HDEL', Q.locks, released)
  call_chunked('ZREM', Q.active, released)
  local maxPoints = tonumber(ARGV[reclaimAt + reclaimCount + 3])
  if maxPoints > 0 then
    for _, state in ipairs({'completed', 'failed'}) do
      local n = done.counts[state]
      if n > 0 then record_metrics(state, n, now, maxPoints) end
    end
    local at = reclaimAt + reclaimCount + 4
    rcall('HINCRBY', Q.durations, 'sum', ARGV[at])
    for i = 1, 15 do
      if ARGV[at + i] ~= '0' then rcall('HINCRBY', Q.durations, 'b' .. i, ARGV[at + i]) end
    end
  end
end

if reclaimCount > 0 then
  local lost = {}
  for i = 1, reclaimCount do lost[ARGV[reclaimAt + i]] = true end
  local held = rcall('HGETALL', Q.locks)
  local orphans = {}
  for i = 1, #held, 2 do
    if lost[held[i + 1]] then orphans[#orphans + 1] = held[i] end
  end
  requeue_front(line, done, nowText, orphans)
end
flush_finishes(done, nowText)

promote_due(line, nowText)
-- A call that takes no jobs passes the ones it made ready on to an idle worker.
flush_line(line, fetchCount == 0)

local result = {flags, -1, 0}
local meta = rcall('HMGET', Q.meta, 'paused', 'concurrency', 'rateMax', 'rateDuration', 'limitedUntil')
local globalLimit = tonumber(meta[2])
local workerMax = tonumber(ARGV[reclaimAt + reclaimCount + 1])
local rateMax, rateDuration = tonumber(meta[3]), tonumber(meta[4])
if not rateMax and workerMax > 0 then
  rateMax, rateDuration = workerMax, tonumber(ARGV[reclaimAt + reclaimCount + 2])
end
local rateWait = 0
if fetchCount > 0 and meta[1] then
  result[3] = 1
  fetchCount = 0
elseif globalLimit then
  -- Room left under the global concurrency, across every worker.
  local room = math.max(globalLimit - rcall('ZCARD', Q.active), 0)
  if fetchCount > room then
    result[3] = 2
    fetchCount = room
  end
  -- Finishing made room: an idle worker held back by the limit may take jobs now.
  if finishCount > 0 and (rcall('LLEN', Q.wait) > 0 or rcall('ZCARD', Q.prioritized) > 0) then
    signal_work()
  end
end
if fetchCount > 0 and (rateMax or meta[5]) then
  local room
  room, rateWait = rate_room(fetchCount, rateMax, rateDuration, now, tonumber(meta[5]))
  if room < fetchCount then
    result[3] = 3
    fetchCount = room
  end
end
local taken = take_jobs(result, fetchCount, passOn, token,
  string.format('%d', now + lockDuration), nowText, jobFields, fieldAt,
  ARGV[reclaimAt + reclaimCount + 20])
if rateMax and taken > 0 then note_starts(result, 4, nowText, rateDuration, fieldAt.ats) end
if taken < fetchCount or fetchCount == 0 then
  local first = rcall('ZRANGE', Q.delayed, '0', '0', 'WITHSCORES')
  if #first > 0 then result[2] = tonumber(first[2]) end
end
if rateWait > 0 and (result[2] < 0 or now + rateWait < result[2]) then
  result[2] = now + rateWait
end
-- A worker that finished jobs and found none to take next reports the line drained
-- (BullMQ's moment; nothing taken means both lines are empty). An idle re-check, with
-- nothing finished, reports nothing.
if fetchCount > 0 and taken == 0 and finishCount > 0 then
  emit('drained')
end
return result
