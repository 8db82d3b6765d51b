'use strict';
// BullMQ's enums a typed app may import, as TypeScript compiles numeric enums (names to
// values and values to names).

/** Builds a numeric enum object from `{ NAME: value }`. */
function numericEnum(entries) {
  const result = {};
  for (const [name, value] of Object.entries(entries)) {
    result[name] = value;
    result[value] = name;
  }
  return Object.freeze(result);
}

/** Metric windows in minutes (for `metrics.maxDataPoints`; metrics are not built in ferroq yet). */
const MetricsTime = numericEnum({
  ONE_MINUTE: 1,
  FIVE_MINUTES: 5,
  FIFTEEN_MINUTES: 15,
  THIRTY_MINUTES: 30,
  ONE_HOUR: 60,
  ONE_WEEK: 60 * 24 * 7,
  TWO_WEEKS: 60 * 24 * 7 * 2,
  ONE_MONTH: 60 * 24 * 7 * 2 * 4,
});

/** BullMQ's script error codes; ferroq reports its errors by `code` strings instead. */
const ErrorCode = numericEnum({
  JobNotExist: -1,
  JobLockNotExist: -2,
  JobNotInState: -3,
  JobPendingDependencies: -4,
  JobPendingChildren: -4,
  ParentJobNotExist: -5,
  JobLockMismatch: -6,
  ParentJobCannotBeReplaced: -7,
  JobBelongsToJobScheduler: -8,
  JobHasFailedChildren: -9,
  SchedulerJobIdCollision: -10,
  SchedulerJobSlotsBusy: -11,
});

module.exports = { MetricsTime, ErrorCode };
