-- Text messages with unique MsgIds (a retry would be deduplicated), 500 different users.
local counter = 0
local tid = 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  tid = tonumber(wrk.thread:get("tid")) or 0
end
request = function()
  counter = counter + 1
  local id = tostring(tid * 1000000000 + counter) .. tostring(os.time() % 100000)
  local text = os.getenv("BENCH_TEXT") or "楼道灯坏了三天了"
  local body = "<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[bench-" ..
    tostring(counter % 500) .. "-" .. tid .. "]]></FromUserName><CreateTime>1764200000</CreateTime>" ..
    "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[" .. text .. "]]></Content><MsgId>" .. id ..
    "</MsgId></xml>"
  return wrk.format("POST", nil, {["Content-Type"] = "text/xml"}, body)
end
