--[[ lib.lua — the queue's keys and its named transitions, prepended to every script
  that moves jobs. Not a script of its own.

  Every such script takes the queue's standard keys (QueueKeys::standard in keys.rs)
  as KEYS, and as ARGV[1] to ARGV[3] the job-hash and job-log key prefixes and the
  event stream's length cap (0: no events); its own arguments start at ARGV[4].

  Every transition appends its event to the stream in one place: `flush_line` for
  jobs entering a waiting line (`waiting`, `delayed`), `finish` (`completed`,
  `failed`, `retries-exhausted`), `take_jobs` (`active`); scripts add the events of
  their own (`added`, `stalled`, `drained`, ...) with `emit`.

  A cancelled active job (`cancel.lua` marks it in `cancels`) never goes back to a
  line: whichever transition ends its attempt fails it with the cancel reason
  (`take_cancels`, `fail_cancelled`).

  Conventions: a job lives in the hash `<jobPrefix><id>`; `wait` is pushed on the
  left and taken from the right, so RPUSH puts a job first in line.
]]
local rcall = redis.call

local Q = {
  wait = KEYS[1], prioritized = KEYS[2], priorityCounter = KEYS[3], delayed = KEYS[4],
  active = KEYS[5], locks = KEYS[6], marker = KEYS[7], completed = KEYS[8],
  failed = KEYS[9], id = KEYS[10], stalledCheck = KEYS[11], events = KEYS[12], meta = KEYS[13],
  cancels = KEYS[14], limiter = KEYS[15],
  metrics = {completed = {KEYS[16], KEYS[17]}, failed = {KEYS[18], KEYS[19]}},
  durations = KEYS[20], schedulers = KEYS[21], scheduledStarts = KEYS[22],
  jobPrefix = ARGV[1], logsPrefix = ARGV[2], eventsMaxLen = ARGV[3],
}

-- Redis' Lua cannot unpack arbitrarily long tables; commands taking many members
-- are sent in chunks of this size.
local CHUNK = 4000

-- Calls `cmd key members...` in chunks. `stride` keeps pairs together.
local function call_chunked(cmd, key, members, stride)
  local n = #members
  local step = CHUNK * (stride or 1)
  for i = 1, n, step do
    rcall(cmd, key, unpack(members, i, math.min(i + step - 1, n)))
  end
end

-- Events of one name in a row that each start with `jobId` share one stream entry
-- (at most EVENTS_PER_ENTRY): their field lists one after another. A transition of
-- a hundred jobs costs one XADD per kind of event, not a hundred; the reader splits
-- the entry at each `jobId` (redis_store::stream_entries). The stream's length cap
-- counts entries, so it keeps at least that many events.
local EVENTS_PER_ENTRY = 64
local run = {name = nil, fields = {}, count = 0}

local function xadd(name, ...)
  rcall('XADD', Q.events, 'MAXLEN', '~', Q.eventsMaxLen, '*', 'event', name, ...)
end

-- Writes the events held back; every script ends with it (queue_script in mod.rs).
local function flush_events()
  if run.count > 0 then
    xadd(run.name, unpack(run.fields))
    run.name, run.fields, run.count = nil, {}, 0
  end
end

-- Appends an event (`name`, then field/value pairs) to the queue's event stream,
-- trimmed to about its length cap.
local function emit(name, ...)
  if Q.eventsMaxLen == '0' then return end
  local first = ...
  if first ~= 'jobId' then
    flush_events()
    xadd(name, ...)
    return
  end
  if name ~= run.name or run.count >= EVENTS_PER_ENTRY then
    flush_events()
    run.name = name
  end
  -- Copied without a table of their own: this runs for every job of every batch.
  local fields, n = run.fields, #run.fields
  for i = 1, select('#', ...) do fields[n + i] = (select(i, ...)) end
  run.count = run.count + 1
end

-- True while the queue is paused: no worker takes jobs.
local function is_paused()
  return rcall('HEXISTS', Q.meta, 'paused') == 1
end

-- Wakes one idle worker blocked on the marker (BZPOPMIN).
local function signal_work()
  rcall('ZADD', Q.marker, '0', '0')
end

--------------------------------------------------------------------------------
-- Enqueue: where a job waits. The one place the waiting / prioritized / delayed
-- decision is made. Jobs are placed in a `line` and written together by
-- `flush_line`, so a script moving many jobs sends few commands.
--------------------------------------------------------------------------------

-- `quiet`: the jobs only move within their line (a new priority): no events.
local function new_line(quiet)
  return {back = {}, front = {}, prioritized = {}, earliestDue = nil, delayed = {}, placed = {},
    quiet = quiet}
end

-- Priorities share one zset; the sequence keeps equal priorities FIFO. Scores stay
-- below 2^53 (priority ≤ 2^21, sequence < 2^31), so doubles hold them exactly.
local function prioritized_score(priority)
  local seq = rcall('INCR', Q.priorityCounter) % 2147483648
  return priority * 2147483648 + seq
end

-- Places job `id`, coming from state `prev` (nil for a new job): delayed until
-- `dueAt` (ms) when given, else prioritized when it has a priority, else in `wait`
-- (first in line with `front` or lifo). Returns the state name; the caller stores it
-- in the job hash with its other fields.
local function place(line, id, dueAt, priority, lifo, front, prev)
  line.placed[#line.placed + 1] = {id, dueAt, prev}
  if dueAt then
    line.delayed[#line.delayed + 1] = dueAt
    line.delayed[#line.delayed + 1] = id
    if line.earliestDue == nil or dueAt < line.earliestDue then line.earliestDue = dueAt end
    return 'delayed'
  end
  if priority > 0 then
    line.prioritized[#line.prioritized + 1] = prioritized_score(priority)
    line.prioritized[#line.prioritized + 1] = id
    return 'prioritized'
  end
  if front or lifo then
    line.front[#line.front + 1] = id
  else
    line.back[#line.back + 1] = id
  end
  return 'waiting'
end

-- Places a job by the priority and lifo stored in its hash, and stores its state.
local function place_stored(line, id, jobKey, dueAt, front, prev)
  local fields = rcall('HMGET', jobKey, 'priority', 'lifo')
  local state = place(line, id, dueAt, tonumber(fields[1]) or 0, fields[2] == '1', front, prev)
  rcall('HSET', jobKey, 'state', state)
  return state
end

-- Writes the placed jobs. `wake`: signal an idle worker when a job is ready now.
-- Returns true when a job is ready now.
local function flush_line(line, wake)
  call_chunked('LPUSH', Q.wait, line.back)
  call_chunked('RPUSH', Q.wait, line.front)
  call_chunked('ZADD', Q.prioritized, line.prioritized, 2)
  call_chunked('ZADD', Q.delayed, line.delayed, 2)
  if line.earliestDue then
    -- The delayed marker carries the earliest due time; LT only ever moves it earlier.
    rcall('ZADD', Q.marker, 'LT', line.earliestDue, 'd')
  end
  for _, placed in ipairs(line.quiet and {} or line.placed) do
    local id, dueAt, prev = placed[1], placed[2], placed[3]
    if dueAt then
      emit('delayed', 'jobId', id, 'delay', dueAt)
    elseif prev then
      emit('waiting', 'jobId', id, 'prev', prev)
    else
      emit('waiting', 'jobId', id)
    end
  end
  local ready = #line.back > 0 or #line.front > 0 or #line.prioritized > 0
  if ready and wake then signal_work() end
  return ready
end

-- Stores new job `id` (numbers as the text they came in: Lua would format each one
-- anew) and places it: delayed `delay` ms after `timestamp`, else by its priority and
-- lifo. `extra`: more hash fields, a flat list. Appends `added`; returns the state.
local function store_job(line, id, name, data, opts, timestamp, delay, priority, lifo, extra)
  local dueAt = nil
  if tonumber(delay) > 0 then dueAt = tonumber(timestamp) + tonumber(delay) end
  local state = place(line, id, dueAt, tonumber(priority), lifo == '1', false)
  local fields = {'name', name, 'data', data, 'opts', opts, 'timestamp', timestamp,
    'delay', delay, 'priority', priority, 'atm', '0', 'state', state}
  if lifo == '1' then
    fields[#fields + 1] = 'lifo'
    fields[#fields + 1] = '1'
  end
  for _, value in ipairs(extra) do fields[#fields + 1] = value end
  rcall('HSET', Q.jobPrefix .. id, unpack(fields))
  emit('added', 'jobId', id, 'name', name)
  return state
end

-- Moves delayed jobs whose time has come into their waiting line.
local function promote_due(line, now)
  local due = rcall('ZRANGEBYSCORE', Q.delayed, '-inf', now, 'LIMIT', '0', '1000')
  if #due == 0 then return end
  call_chunked('ZREM', Q.delayed, due)
  for _, id in ipairs(due) do
    place_stored(line, id, Q.jobPrefix .. id, nil, false, 'delayed')
  end
end

--------------------------------------------------------------------------------
-- Finish: a job leaves the active set for `completed` or `failed`, kept or removed
-- by its retention rule (count, age in s; -1: no limit; count 0: remove at once).
-- The caller releases the lock. Retention runs once per rule, after the batch.
--------------------------------------------------------------------------------

local function remove_jobs(ids)
  local keys = {}
  for _, id in ipairs(ids) do
    keys[#keys + 1] = Q.jobPrefix .. id
    keys[#keys + 1] = Q.logsPrefix .. id
  end
  for i = 1, #keys, CHUNK do
    rcall('DEL', unpack(keys, i, math.min(i + CHUNK - 1, #keys)))
  end
end

--------------------------------------------------------------------------------
-- Metrics (a worker's `metrics` option): jobs finished per minute, as BullMQ keeps
-- them. The summary hash holds the running `count`, and the minute (`prevTS`) and
-- count (`prevCount`) last turned into a data point; when a later minute comes, the
-- jobs of the minutes since are pushed (newest first, zeros for quiet minutes).
--------------------------------------------------------------------------------

local function record_metrics(state, n, now, maxPoints)
  local summary, data = Q.metrics[state][1], Q.metrics[state][2]
  local minute = math.floor(now / 60000) * 60000
  local count = rcall('HINCRBY', summary, 'count', n)
  local stored = rcall('HMGET', summary, 'prevTS', 'prevCount')
  local prevTS, prevCount = tonumber(stored[1]), tonumber(stored[2])
  if not prevTS then
    rcall('HSET', summary, 'prevTS', minute, 'prevCount', count - n)
    return
  end
  if minute <= prevTS then return end
  -- The jobs counted before this call belong to minute prevTS; later minutes, up to
  -- this one, saw none.
  local before = count - n
  local quiet = math.min((minute - prevTS) / 60000 - 1, maxPoints)
  rcall('LPUSH', data, before - prevCount)
  for _ = 1, quiet do rcall('LPUSH', data, 0) end
  rcall('LTRIM', data, 0, maxPoints - 1)
  rcall('HSET', summary, 'prevTS', minute, 'prevCount', before)
end

--------------------------------------------------------------------------------
-- Deduplication: `de:<id>` names the job holding a deduplication id; with a ttl it
-- expires, without one it holds until the job completes or fails.
--------------------------------------------------------------------------------

-- The live job holding deduplication key `deKey`, or nil (none, or the one it names
-- is gone or finished: a key its job's end did not clear counts as free).
local function dedup_holder(deKey)
  local holder = rcall('GET', deKey)
  if not holder then return nil end
  local state = rcall('HGET', Q.jobPrefix .. holder, 'state')
  if not state or state == 'completed' or state == 'failed' then return nil end
  return holder
end

-- Frees deduplication key `deKey` if job `id` holds it.
local function release_dedup(deKey, id)
  if rcall('GET', deKey) == id then rcall('DEL', deKey) end
end

-- Takes job `id` out of the line or set of its `state` (its lock and cancel mark
-- go too when active).
local function leave_line(id, state)
  if state == 'waiting' then
    rcall('LREM', Q.wait, 1, id)
  elseif state == 'active' then
    rcall('ZREM', Q.active, id)
    rcall('HDEL', Q.locks, id)
    rcall('HDEL', Q.cancels, id)
  elseif Q[state] then
    rcall('ZREM', Q[state], id)
  end
end

-- Takes job `id` out of its line or set and deletes it; appends `removed`. Returns
-- its state, or nil when it is gone.
local function remove_job(id)
  local state = rcall('HGET', Q.jobPrefix .. id, 'state')
  if not state then return nil end
  leave_line(id, state)
  remove_jobs({id})
  emit('removed', 'jobId', id, 'prev', state)
  return state
end

--------------------------------------------------------------------------------
-- Job schedulers: each keeps exactly one job that has not started (its `job`); when
-- that job starts, the worker computes the next due time (cron needs Rust) and
-- `schedule_next` makes the next job. `scheduledStarts` remembers started jobs whose
-- successor is not made yet, so a crash in between is finished later.
--------------------------------------------------------------------------------

local function scheduler_key(sid)
  return Q.schedulers .. ':' .. sid
end

local function not_started(state)
  return state == 'delayed' or state == 'waiting' or state == 'prioritized'
end

-- Whether job `id` is the one a scheduler waits on: removing it alone would stop
-- the scheduler, so remove, clean and drain leave it.
local function scheduler_waits_on(id)
  local fields = rcall('HMGET', Q.jobPrefix .. id, 'rjk', 'state')
  return fields[1] ~= false and not_started(fields[2])
    and rcall('HGET', scheduler_key(fields[1]), 'job') == id
end

-- The jobs schedulers wait on, as a set (for scripts that look at many jobs).
local function scheduler_jobs()
  local jobs = {}
  for _, sid in ipairs(rcall('ZRANGE', Q.schedulers, 0, -1)) do
    local job = rcall('HGET', scheduler_key(sid), 'job')
    if job then jobs[job] = true end
  end
  return jobs
end

local function end_scheduler(sid)
  rcall('DEL', scheduler_key(sid))
  rcall('ZREM', Q.schedulers, sid)
  rcall('ZREM', Q.scheduledStarts, sid)
end

-- Makes scheduler `sid`'s next job, due at `due` (ms, as text), from its template,
-- unless its `limit` of jobs is reached: then the scheduler ends. Returns the job's
-- id and state, or nil.
local function schedule_next(line, sid, due, now)
  local key = scheduler_key(sid)
  local t = rcall('HMGET', key, 'name', 'data', 'optsHead', 'priority', 'lifo', 'rof', 'ic',
    'limit', 'optsMiddle', 'optsTail')
  local made = tonumber(t[7]) or 0
  if t[8] and made >= tonumber(t[8]) then
    end_scheduler(sid)
    return nil
  end
  local id = 'repeat:' .. sid .. ':' .. due
  -- A job of an earlier scheduler with this id may hold it (removed and made again
  -- while that job ran; an upsert refuses such a due time itself): the next free ms.
  while rcall('EXISTS', Q.jobPrefix .. id) == 1 do
    due = string.format('%.0f', tonumber(due) + 1)
    id = 'repeat:' .. sid .. ':' .. due
  end
  local delay = tonumber(due) - tonumber(now)
  delay = delay > 0 and string.format('%.0f', delay) or '0'
  local extra = {'rjk', sid}
  if t[6] then
    extra[3] = 'rof'
    extra[4] = t[6]
  end
  local opts = t[3] .. delay .. t[9] .. (made + 1) .. t[10]
  local state = store_job(line, id, t[1], t[2], opts, now, delay, t[4], t[5], extra)
  rcall('HSET', key, 'ic', made + 1, 'job', id, 'next', due)
  rcall('ZADD', Q.schedulers, due, sid)
  return id, state
end

-- Moves finished jobs back to their waiting line, clearing what their last attempt
-- left; `resetMade` / `resetStarted` count their attempts anew. `from` is their
-- state. An id whose job hash is gone is skipped.
local function requeue(line, ids, from, resetMade, resetStarted)
  for _, id in ipairs(ids) do
    local jobKey = Q.jobPrefix .. id
    if rcall('EXISTS', jobKey) == 1 then
      rcall('HDEL', jobKey, 'finishedOn', 'processedOn', 'failedReason', 'returnvalue', 'ftk')
      if resetMade then rcall('HSET', jobKey, 'atm', '0') end
      if resetStarted then rcall('HSET', jobKey, 'ats', '0') end
      place_stored(line, id, jobKey, nil, false, from)
    end
  end
end

local function new_finishes()
  return {completed = {}, failed = {}, rules = {}, counts = {completed = 0, failed = 0}}
end

-- Finishes job `id` as `state` ('completed' | 'failed'), writing `fields` (a flat
-- list of hash fields and values, `state` and `finishedOn` added here). `event` is
-- the event's own fields (returnvalue or failedReason); `exhausted`: the attempts
-- made (a failure with no attempt left), for `retries-exhausted`; `prev` the state
-- it leaves (default 'active').
local function finish(done, id, state, now, fields, keepCount, keepAge, event, exhausted, prev)
  prev = prev or 'active'
  done.counts[state] = done.counts[state] + 1
  if state == 'completed' then
    emit('completed', 'jobId', id, 'returnvalue', event, 'prev', prev)
  else
    emit('failed', 'jobId', id, 'failedReason', event, 'prev', prev)
    if exhausted then emit('retries-exhausted', 'jobId', id, 'attemptsMade', exhausted) end
  end
  if keepCount == 0 then
    remove_jobs({id})
    return
  end
  local jobKey = Q.jobPrefix .. id
  rcall('HSET', jobKey, 'state', state, 'finishedOn', now, unpack(fields))
  local list = done[state]
  list[#list + 1] = now
  list[#list + 1] = id
  if keepCount > 0 or keepAge >= 0 then
    local setKey = Q[state]
    done.rules[setKey .. '\0' .. keepCount .. '\0' .. keepAge] = {setKey, keepCount, keepAge}
  end
end

local function apply_retention(now, setKey, count, age)
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

-- Writes the finished sets and applies each retention rule once.
local function flush_finishes(done, now)
  call_chunked('ZADD', Q.completed, done.completed, 2)
  call_chunked('ZADD', Q.failed, done.failed, 2)
  for _, rule in pairs(done.rules) do apply_retention(tonumber(now), rule[1], rule[2], rule[3]) end
end

-- A keep rule as stored in a job hash (`rof`: "count age"), or the given default.
local function stored_keep_rule(text, defaultCount, defaultAge)
  if not text then return defaultCount, defaultAge end
  local count, age = string.match(text, '^(-?%d+) (-?%d+)$')
  if not count then return defaultCount, defaultAge end
  return tonumber(count), tonumber(age)
end

--------------------------------------------------------------------------------
-- Cancel: the ending of a job cancelled by `queue.cancel`.
--------------------------------------------------------------------------------

-- The cancel reasons of those of `ids` that are marked, by id, and removes their
-- marks. With no job of the queue marked it costs one EXISTS.
local function take_cancels(ids)
  local marked = {}
  if #ids == 0 or rcall('EXISTS', Q.cancels) == 0 then return marked end
  local found = {}
  for i = 1, #ids, CHUNK do
    local part = {unpack(ids, i, math.min(i + CHUNK - 1, #ids))}
    local reasons = rcall('HMGET', Q.cancels, unpack(part))
    for j, id in ipairs(part) do
      if reasons[j] then
        marked[id] = reasons[j]
        found[#found + 1] = id
      end
    end
  end
  call_chunked('HDEL', Q.cancels, found)
  return marked
end

-- Fails job `id`, leaving state `prev`, for being cancelled with `reason`, kept or
-- removed by its own `removeOnFail` (else kept); `fields` are more hash fields.
local function fail_cancelled(done, id, reason, now, prev, fields)
  local keepCount, keepAge = stored_keep_rule(rcall('HGET', Q.jobPrefix .. id, 'rof'), -1, -1)
  fields[#fields + 1] = 'failedReason'
  fields[#fields + 1] = reason
  finish(done, id, 'failed', now, fields, keepCount, keepAge, reason, nil, prev)
end

--------------------------------------------------------------------------------
-- Requeue: active jobs back to the front of the line, their locks released (a
-- worker crashed, closed by force, or lost the answer of the call that took them).
--------------------------------------------------------------------------------

-- Cancelled ones fail instead (into `done`, see Finish).
local function requeue_front(line, done, now, ids)
  call_chunked('HDEL', Q.locks, ids)
  call_chunked('ZREM', Q.active, ids)
  local cancelled = take_cancels(ids)
  for _, id in ipairs(ids) do
    if cancelled[id] then
      fail_cancelled(done, id, cancelled[id], now, 'active', {})
    else
      place_stored(line, id, Q.jobPrefix .. id, nil, true, 'active')
    end
  end
end

--------------------------------------------------------------------------------
-- Take: jobs for a worker.
--------------------------------------------------------------------------------

-- Rate limit: at most `max` jobs start in any `duration` ms across all workers. The
-- recent starts are kept in `limiter` (score: start time), so the window slides: a
-- burst at the end of one window and the start of the next cannot double it.
-- `queue.rateLimit(ms)` holds every fetch until `limitedUntil` (meta).
-- Returns how many jobs may start now (`want` at most), and when fewer, in how many
-- ms the next one may.
local function rate_room(want, max, duration, now, limitedUntil)
  if limitedUntil and limitedUntil > now then return 0, limitedUntil - now end
  if not max then return want, 0 end
  rcall('ZREMRANGEBYSCORE', Q.limiter, '-inf', now - duration)
  local room = max - rcall('ZCARD', Q.limiter)
  if room >= want then return want, 0 end
  if room > 0 then return room, 0 end
  local oldest = rcall('ZRANGE', Q.limiter, 0, 0, 'WITHSCORES')
  return 0, math.max(tonumber(oldest[2]) + duration - now, 1)
end

-- Records the starts of jobs taken under a rate limit (`out` as take_jobs fills it:
-- id, values pairs; `atsAt` the attempts-started field, which makes members unique).
local function note_starts(out, first, nowText, duration, atsAt)
  local members = {}
  for i = first, #out, 2 do
    members[#members + 1] = nowText
    members[#members + 1] = out[i] .. ':' .. (out[i + 1][atsAt] or '')
  end
  if #members > 0 then
    call_chunked('ZADD', Q.limiter, members, 2)
    rcall('PEXPIRE', Q.limiter, duration)
  end
end

-- The text of a stored count plus one (nil counts as 0). Remembered per script call:
-- formatting a number costs a sprintf, and a batch's jobs mostly share their count.
local next_counts = {}
local function next_count(text)
  local key = text or ''
  local counted = next_counts[key]
  if not counted then
    counted = tostring((tonumber(text) or 0) + 1)
    next_counts[key] = counted
  end
  return counted
end

-- Where each of the job-hash field names `fields` stands in it: name -> index.
local function positions(fields)
  local at = {}
  for i, field in ipairs(fields) do at[field] = i end
  return at
end

-- Takes up to `n` jobs (plain waiting jobs before prioritized ones, as BullMQ),
-- locks them with `token` until `deadline` (ms, as text; `now` too) and appends
-- {id, {values of `fields`}} pairs to `out` (`fields[1]` must be one every job has;
-- `at` is `positions(fields)`: `ats`, the attempts started, must be among them (the
-- fetch counts it up), and `rjk`, a scheduler's job's scheduler, may be).
-- Jobs whose hash vanished are dropped. With `passOn` (the caller was woken by
-- the marker) and jobs left over, the marker is set again so the next idle worker
-- wakes too. `worker` ('' for none) is stored as the job's `pb` (processedBy).
-- Returns the number taken.
local function take_jobs(out, n, passOn, token, deadline, now, fields, at, worker)
  if n <= 0 then return 0 end
  local ids = {}
  local popped = rcall('RPOP', Q.wait, n)
  if popped then
    for i = 1, #popped do ids[#ids + 1] = popped[i] end
  end
  if #ids < n then
    local best = rcall('ZPOPMIN', Q.prioritized, n - #ids)
    for i = 1, #best, 2 do ids[#ids + 1] = best[i] end
  end
  if #ids == 0 then return 0 end

  local scored, tokens = {}, {}
  local taken = 0
  for _, id in ipairs(ids) do
    local jobKey = Q.jobPrefix .. id
    local values = rcall('HMGET', jobKey, unpack(fields))
    if values[1] then
      local started = next_count(values[at.ats])
      values[at.ats] = started
      if worker ~= '' then
        rcall('HSET', jobKey, 'state', 'active', 'processedOn', now, 'ats', started, 'pb', worker)
      else
        rcall('HSET', jobKey, 'state', 'active', 'processedOn', now, 'ats', started)
      end
      emit('active', 'jobId', id, 'prev', 'waiting')
      if at.rjk and values[at.rjk] then rcall('ZADD', Q.scheduledStarts, now, values[at.rjk]) end
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
    call_chunked('ZADD', Q.active, scored, 2)
    call_chunked('HSET', Q.locks, tokens, 2)
  end
  if passOn and #ids == n and (rcall('LLEN', Q.wait) > 0 or rcall('ZCARD', Q.prioritized) > 0) then
    signal_work()
  end
  return taken
end
