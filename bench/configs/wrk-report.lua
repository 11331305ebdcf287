-- wrk's end-of-run hook for `npm run bench:configs`: one JSON line with what the benchmark
-- compares (requests, duration, latency percentiles in microseconds, every kind of error), so the
-- harness never parses wrk's human-readable summary.
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"wrk":{"requests":%d,"durationUs":%d,"meanUs":%.1f,"p50Us":%d,"p99Us":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}}\n',
    summary.requests, summary.duration, latency.mean, latency:percentile(50),
    latency:percentile(99), errors.connect, errors.read, errors.write, errors.status,
    errors.timeout))
end
