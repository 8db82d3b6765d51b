--[[ clean.lua — one step of `clean`: removes jobs of one state that are older than a
  grace period (finished jobs by when they finished, the others by when they were
  added), at most STEP a call, looking at most WINDOW jobs of a line a call, so that
  a clean of a million jobs never holds Redis long. The caller calls again from the
  returned cursor until it is -1. Active jobs a worker holds are never removed, nor
  the jobs job schedulers wait on.

  KEYS    the queue's standard keys (lib.lua)
  ARGV[1] job key prefix   ARGV[2] logs key prefix   ARGV[3] events cap
  ARGV[4] state ('completed' | 'failed' | 'delayed' | 'prioritized' | 'waiting' | 'active')
  ARGV[5] remove jobs from before this time (ms)
  ARGV[6] how many more jobs to remove (0: no limit)
  ARGV[7] cursor: where this step starts in the line (0 at first)
  ARGV[8] jobs removed by the earlier steps
  Returns {ids removed, next cursor or -1 when done}; the last step appends `cleaned`
  with the count of all steps.
]]
local STEP, WINDOW = 1000, 5000
-- Marks a waiting job to remove (job ids cannot hold ':').
local REMOVED = 'ferroq:cleaned'
local state, before, left = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local cursor, earlier = tonumber(ARGV[7]), tonumber(ARGV[8])
local room = STEP
if left > 0 and left < room then room = left end
local ids = {}
local nextCursor = -1

if state == 'completed' or state == 'failed' then
  ids = rcall('ZRANGEBYSCORE', Q[state], '-inf', before, 'LIMIT', 0, room)
  call_chunked('ZREM', Q[state], ids)
  -- A full step may have left more behind, unless it reached the limit.
  if #ids == room and room == STEP and left ~= STEP then nextCursor = 0 end
else
  -- The cursor counts from the end where other clients add jobs (the head of `wait`,
  -- the high scores of a sorted set): jobs added between steps are looked at twice,
  -- and jobs taken from the other end (RPOP, ZPOPMIN, promotion) shift nothing not
  -- yet looked at. Nothing is skipped but for a job removed by hand before the cursor.
  local isList = state == 'waiting'
  local candidates
  if isList then
    candidates = rcall('LRANGE', Q.wait, cursor, cursor + WINDOW - 1)
  else
    candidates = rcall('ZREVRANGE', Q[state], cursor, cursor + WINDOW - 1)
  end
  local kept, looked = 0, 0
  for i, id in ipairs(candidates) do
    if #ids >= room then break end
    looked = i
    local timestamp = tonumber(rcall('HGET', Q.jobPrefix .. id, 'timestamp')) or 0
    local removable
    if state == 'active' then
      removable = rcall('HEXISTS', Q.locks, id) == 0
    else
      removable = not scheduler_waits_on(id)
    end
    if timestamp <= before and removable then
      ids[#ids + 1] = id
      -- Positions hold until the marks go, all at once below.
      if isList then rcall('LSET', Q.wait, cursor + i - 1, REMOVED) end
    else
      kept = kept + 1
    end
  end
  if isList then
    if #ids > 0 then rcall('LREM', Q.wait, #ids, REMOVED) end
  else
    call_chunked('ZREM', Q[state], ids)
    if state == 'active' then call_chunked('HDEL', Q.cancels, ids) end
  end
  local limitReached = left > 0 and #ids >= left
  local moreToLook = looked < #candidates or #candidates == WINDOW
  if moreToLook and not limitReached then nextCursor = cursor + kept end
end
remove_jobs(ids)
if nextCursor == -1 then emit('cleaned', 'count', earlier + #ids) end
return {ids, nextCursor}
