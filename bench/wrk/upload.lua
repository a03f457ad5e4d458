-- multipart/form-data upload of 5 files of 64 KiB each.
local boundary = "----zfpmbench7d3a1f"
local parts = {}
for i = 1, 5 do
  parts[#parts + 1] = "--" .. boundary .. "\r\n" ..
    "Content-Disposition: form-data; name=\"file" .. i .. "\"; filename=\"f" .. i .. ".bin\"\r\n" ..
    "Content-Type: application/octet-stream\r\n\r\n" .. string.rep(string.char(64 + i), 65536) .. "\r\n"
end
parts[#parts + 1] = "--" .. boundary .. "--\r\n"
wrk.method = "POST"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.body = table.concat(parts)
