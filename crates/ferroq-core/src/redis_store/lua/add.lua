--[[ add.lua — adds a batch of jobs in one atomic step (queue.add and addBulk).

  KEYS    the queue's standard keys (lib.lua)
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] events cap
  ARGV[4] number of jobs
  ARGV[5…] 14 per job: custom id ('' to generate one), name, data JSON, opts JSON,
           delay ms, priority, lifo ('1' or '0'), timestamp ms,
           removeOnFail rule ("count age", or '' for the worker's),
           deduplication: id ('' for none), its key, ttl ms ('0': until the job
           completes or fails), extend ('1' or '0'), replace ('1' or '0')
  Returns {id, existed, state, id, existed, state, …}: existed is 1 when a job with
  that custom id was already there, 2 when a live job holds the deduplication id (its
  id is given; nothing was added, state '').
  Events: `added` and `waiting` / `delayed` per new job, `duplicated` per existing
  one, `deduplicated` per deduplicated one (`removed` for a delayed one replaced).
]]
local count = tonumber(ARGV[4])
local FIELDS = 14
local FIRST = 5

local generated = 0
for i = 0, count - 1 do
  if ARGV[FIRST + i * FIELDS] == '' then generated = generated + 1 end
end
local nextId = 0
if generated > 0 then
  nextId = rcall('INCRBY', Q.id, generated) - generated + 1
end

local result = {}
local line = new_line()
for i = 0, count - 1 do
  local base = FIRST + i * FIELDS
  local id = ARGV[base]
  local custom = id ~= ''
  if not custom then
    id = tostring(nextId)
    nextId = nextId + 1
  end
  local jobKey = Q.jobPrefix .. id
  -- Only a custom id can already exist: custom ids are never integers, so they cannot
  -- collide with generated ones, and a generated id is fresh by construction.
  local deid, deKey = ARGV[base + 9], ARGV[base + 10]
  local holder = nil
  if deid ~= '' and not (custom and rcall('EXISTS', jobKey) == 1) then
    holder = dedup_holder(deKey)
    if holder and ARGV[base + 13] == '1' and rcall('HGET', Q.jobPrefix .. holder, 'state') == 'delayed' then
      -- Debounce: the new job replaces the one still waiting for its delay.
      remove_job(holder)
      holder = nil
    end
  end
  if custom and rcall('EXISTS', jobKey) == 1 then
    emit('duplicated', 'jobId', id)
    result[#result + 1] = id
    result[#result + 1] = 1
    result[#result + 1] = ''
  elseif holder then
    local ttl = ARGV[base + 11]
    if ARGV[base + 12] == '1' and ttl ~= '0' then rcall('PEXPIRE', deKey, ttl) end
    emit('deduplicated', 'jobId', id, 'deduplicationId', deid, 'deduplicatedJobId', holder)
    result[#result + 1] = holder
    result[#result + 1] = 2
    result[#result + 1] = ''
  else
    local extra = {}
    if ARGV[base + 8] ~= '' then
      extra[1] = 'rof'
      extra[2] = ARGV[base + 8]
    end
    if deid ~= '' then
      extra[#extra + 1] = 'deid'
      extra[#extra + 1] = deid
      if ARGV[base + 11] ~= '0' then
        rcall('SET', deKey, id, 'PX', ARGV[base + 11])
      else
        rcall('SET', deKey, id)
      end
    end
    local state = store_job(line, id, ARGV[base + 1], ARGV[base + 2], ARGV[base + 3],
      ARGV[base + 7], ARGV[base + 4], ARGV[base + 5], ARGV[base + 6], extra)
    result[#result + 1] = id
    result[#result + 1] = 0
    result[#result + 1] = state
  end
end

flush_line(line, true)
return result
