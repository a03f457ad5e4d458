-- 1 MiB urlencoded POST.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "data=" .. string.rep("a", 1048576 - 5)
