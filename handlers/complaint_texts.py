"""Everything residents and staff read in the requests (民情诉求) family, in one place.

State-change pushes, the jobs' texts and what staff are told of a reassignment or a merge
are in models/complaint_rules (PUSH_TEXTS, JOB_TEXTS) and models/complaint_handover
(ASSIGN_TEXTS, MERGE_TEXTS), since the jobs under notices/ and the console send them too."""
from __future__ import annotations

TEXTS = {
    "menu_new": "反映问题（报修、投诉、建议）",
    "menu_status": "我的诉求",
    # Filing --------------------------------------------------------------------------------
    "ask_content": "请用一两句话说说是什么问题，比如“3号楼2单元楼道灯坏了”。\n不办了请回复“取消”。",
    "ask_content_again": "还没听明白是什么问题。请说说哪里、出了什么事，比如：\n“5号楼楼道灯坏了三天了”\n"
                         "“楼下垃圾好几天没人清”\n不办了请回复“取消”。",
    "filing_cancelled": "好的，已取消，没有提交。还有别的事可以直接说。",
    "cancel_after_filed": "{ticket} 已经提交了，不会撤回，工作人员会看到。\n"
                          "如果不用再办了，工作人员联系您时说一声就行。\n查看进展：回复“查询 {ticket}”",
    "supplemented": "已补充到 {ticket}：“{text}”\n工作人员会一起看到。\n"
                    "如果是另一个问题，请这样说：再报一个 楼下路灯不亮",
    "photo_first": "收到照片。请再用文字说说是什么问题，比如“楼道灯坏了”。\n不办了请回复“取消”。",
    "location_first": "收到位置。请再用文字说说是什么问题，比如“这里路灯坏了”。\n不办了请回复“取消”。",
    "bind_first": "您反映的问题我们先记下了：“{content}”\n提交前需要先绑定住址："
                  "回复“绑定 楼号单元室号 姓名 手机后四位”，例如：绑定 3号楼2单元301 张三 5678\n"
                  "绑定后回复 1 提交这个问题。",
    "bind_still": "您还没有绑定成功，暂时不能提交。\n请回复“绑定 楼号单元室号 姓名 手机后四位”，"
                  "例如：绑定 3号楼2单元301 张三 5678",
    "bind_pending": "您的绑定还在审核中，审核通过后回复 1 就能提交刚才的问题：“{content}”",
    "bind_then_file": "\n绑定好了，回复 1 提交您刚才反映的问题：“{content}”",
    "filed": "已收到您的诉求，编号 {ticket}\n类别：{category}（不对请回复 2 换个类别）\n"
             "我们会尽快受理，进展会通知您。\n查看进展：回复“查询 {ticket}”\n还要补充，直接发文字、照片或位置就行。",
    "duplicate": "您所在楼栋已有一条同类问题还在处理：\n{ticket} {category}（{state}）\n“{text}”\n"
                 "是否与 {ticket} 为同一问题？\n回复 1 是（关注该诉求，进展会通知您）\n回复 2 不是（新建诉求）",
    "duplicate_own": "您家之前反映过一条同类问题，还在处理：\n{ticket} {category}（{state}）\n“{text}”\n"
                     "您这次说的“{new}”，和它是同一个问题吗？\n"
                     "回复 1 是（补充到 {ticket}）\n回复 2 不是（新建诉求）",
    "followed": "好的，已为您关注 {ticket}，进展会通知您。\n查看进展：回复“查询 {ticket}”",
    "already_filed": "这是您家反映过的 {ticket}，已经在处理了，进展会通知您。",
    "more_or_new": "这是补充到 {ticket}（{category}：{old}）的，还是另一个问题？\n"
                   "回复 1 补充到 {ticket}\n回复 2 作为新问题提交",
    "supplemented_duplicate": "好的，已把“{text}”补充到 {ticket}，工作人员会一起看到，进展会通知您。\n"
                              "查看进展：回复“查询 {ticket}”",
    "already_following": "您已经在关注 {ticket} 了，进展会通知您。",
    "pick_category": "请选择类别，回复数字：\n{choices}",
    "category_changed": "好的，{ticket} 的类别已改为：{category}。进展会通知您。",
    "category_unchanged": "没有改动，{ticket} 的类别还是：{category}。",
    "media_kept_duplicate": "收到，会一起提交。请回复 1 或 2 继续。",
    "media_kept_bind_first": "收到，先替您保存着。绑定后回复 1 一起提交。",
    "photo_added": "照片已添加到诉求 {ticket}。还有要补充的可以继续发。",
    "location_added": "位置已添加到诉求 {ticket}。",
    # Resident: status, rating, reopening ---------------------------------------------------
    "none_yet": "您家还没有反映过问题。有事可以直接说，比如“楼道灯坏了”。",
    "my_list_head": "您家反映的问题（最近 {n} 条）：",
    "my_list_line": "{i}. {ticket} {category} {state}\n   {text}",
    "my_list_foot": "看详情：回复前面的数字，或“查询 编号”，例如：查询 {ticket}",
    "not_found": "没有找到这个编号。请核对一下，或回复“我的诉求”查看您家的问题。",
    "detail": "{ticket} {category}｜{state}\n内容：{text}\n提交：{created}{assignee}{extra}\n进展：\n{timeline}",
    "detail_event": "· {at} {what}",
    "detail_rate_hint": "\n满意请回复“评价 {ticket} 5”（1-5分）；没解决请回复“没修好”。",
    "ask_score": "请为 {ticket} 的办理结果打分：回复 1-5（5分最满意）。",
    "bad_score": "分数要在 1 到 5 之间，例如：评价 {ticket} 5",
    "nothing_to_rate": "您家现在没有等待评价的问题（办结后才能评价）。回复“我的诉求”查看进展。",
    "not_resolved_yet": "{ticket} 现在是“{state}”，办结后才能评价。",
    "already_rated": "{ticket} 已经评价过了，谢谢您。",
    "rated": "谢谢您的评价（{score}分）！{ticket} 已归档。还有别的事可以直接说。",
    "confirm": "您是要{what}吗？\n回复 1 确认\n回复 2 取消",
    "not_done": "好的，没有办理。还有别的事可以直接说。",
    "rate_describe": "给 {ticket}（{category}：{text}）打 {score} 分并归档",
    "rate_which": "您家有 {n} 条办结的诉求等您评价，评价哪一条？\n{items}",
    "rate_which_item": "回复 {i}：{ticket} {category}“{text}”",
    "low_score_not_fixed": "您说“{comment}”，问题好像还没解决。\n回复 1 重新处理（工作人员会再来）\n"
                           "回复 2 就按 {score} 分评价归档",
    "nothing_to_reopen": "您家现在没有刚办结的问题。如果有新情况，直接说就行，比如“楼道灯又坏了”。",
    "reopen_describe": "重新打开 {ticket}，告诉工作人员问题还没解决",
    "reopened": "已重新打开 {ticket}，并告诉了工作人员，会尽快再处理。进展会通知您。",
    "staff_reopened": "【诉求重开】{ticket} {category}\n居民反映问题还没解决：“{text}”\n"
                      "请处理后回复“办结 {ticket} 说明”。",
    # Staff ---------------------------------------------------------------------------------
    "need_ticket": "请写上诉求编号，例如：{example}",
    "need_note": "请写上办理说明，例如：办结 {ticket} 已更换楼道灯泡",
    "need_reason": "请写上驳回原因，例如：驳回 {ticket} 不属于社区管理范围",
    "need_two": "请写两个编号：合并 被合并的编号 保留的编号，例如：合并 TS20261127-0013 TS20261127-0012",
    "need_assignee": "请写上转给谁，例如：转办 {ticket} 张三",
    "no_such_staff": "没有找到工作人员“{name}”。可转给：{names}",
    "accepted": "已受理 {ticket}，已通知居民。办好后回复“办结 {ticket} 说明”。",
    "cannot_assign": "{ticket}：该诉求{state}，不能再转办。",
    "assigned": "已把 {ticket} 转给 {name}。{told}",
    "assigned_told_both": "已通知居民和{name}。",
    "assigned_told_staff": "已通知{name}（诉求原来就在处理中，没有再通知居民）。",
    "assigned_told_resident": "已通知居民；{name} 没有绑定微信，收不到消息，请另行告诉{name}。",
    "assigned_told_none": "诉求原来就在处理中，没有再通知居民；{name} 没有绑定微信，请另行告诉{name}。",
    "assigned_previous_told": "也告诉了{name}不用再处理。",
    "assigned_previous_untold": "{name} 没有绑定微信，请另行告诉{name}不用再处理。",
    "not_found_staff": "没有找到这个编号，或者它不归您管。请核对编号，或回复“待办”看您手上的诉求。",
    "number_forms": "没找到“{number}”对应的诉求。可以这样写：\n· {verb} TS20261127-0012（完整编号）\n"
                    "· {verb} 0012（今天的诉求，写后四位）\n· 先回复“待办”，再回复“{verb} 2”（列表里的第 2 条）",
    "merge_check": "{warning}\n{child}\n合并到 ↓\n{parent}\n回复 1 合并\n回复 2 取消",
    "merge_cancelled": "好的，没有合并。",
    "staff_done_offer": "您是要办结 {ticket}（说明：{note}）吗？\n回复 1 确认\n回复 2 取消",
    "staff_forms": "这句话像是居民在评价。工作人员办结请这样写：办结 编号 说明，"
                   "例如：办结 TS20261127-0012 杂物已清走\n回复“待办”看您手上的诉求。",
    "staff_new": "【新诉求】{ticket} {category}（{place}）\n“{text}”\n回复“受理 {ticket}”受理。",
    "detail_place": "\n地点：{place}",
    "detail_supplement": "补充：{text}",
    "describe_accept": "受理 {ticket}",
    "describe_assign": "把 {ticket} 转给{name}",
    "describe_resolve": "办结 {ticket}（说明：{note}）",
    "describe_reject": "驳回 {ticket}（原因：{reason}）",
    "describe_merge": "把 {child} 合并到 {parent}",
    "describe_todo": "查看待办诉求",
    "describe_cluster": "把热点问题 {cluster} 转为恳谈会",
    "describe_some_ticket": "一条诉求（还没写编号）",
    "describe_no_note": "还没写",
    "resolved": "已办结 {ticket}，已通知居民评价。",
    "rejected": "已驳回 {ticket}，已把原因告诉居民。",
    "merged": "已把 {child} 合并到 {parent}，{child} 的居民会随 {parent} 收到进展。",
    "need_cluster_parts": "请这样写：转恳谈会 热点编号 时间 地点，例如：转恳谈会 1 12月3日19:00 3号楼活动室",
    "cluster_meeting": "已把热点问题 {cluster} 转为恳谈会（会议 {meeting}）：{when}，地点：{place}。"
                       "已邀请反映问题的 {n} 户，邀请已发出。",
    "todo_empty": "现在没有待办的诉求。",
    "todo_head": "待办诉求 {n} 条（超时的在前）：",
    "todo_line": "{i}. {flag}{ticket} {category} {state}｜{place}\n   {text}",
    "todo_more": "……还有 {n} 条，用电脑端查看全部。",
    "todo_foot": "回复“受理 编号”“办结 编号 说明”“转办 编号 人员”处理，编号可以写序号，例如：受理 1",
    "overdue_flag": "【超时】",
}

# Free-text verdicts → a score; negatives first, since "不满意" contains "满意".
SATISFIED_WORDS = (("不太满意", 2), ("不满意", 1), ("很差", 1), ("非常满意", 5), ("很满意", 5),
                   ("满意", 5), ("很好", 5), ("不错", 4), ("还行", 3), ("一般", 3))
