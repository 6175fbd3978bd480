#!/usr/bin/env bash
# Records the hotline's IVR prompts with espeak-ng (voices `en` and `cmn`,
# see MANDARIN below)
# and converts them with sox to what the media engine plays: 8 kHz, mono,
# 16-bit PCM WAV. Output: ivr_scripts/prompts/<lang>/<name>.wav.
#
# Each prompt is named once and has one text per language. To add a prompt:
# add a line to both tables below, run this script, commit the WAVs, and use
# the name in a script (`hotline ivr check` says if a language is missing).
# Number and digit pieces for `say` nodes are generated separately by
# generate-say.sh into <lang>/say/ (owned by the media engine).
#
# Usage: ivr_scripts/prompts/generate.sh [NAME...]   (default: all prompts)
# Needs: espeak-ng, sox  (Debian: apt-get install espeak-ng sox)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
command -v espeak-ng >/dev/null || { echo "espeak-ng is missing: apt-get install espeak-ng" >&2; exit 1; }
command -v sox >/dev/null || { echo "sox is missing: apt-get install sox" >&2; exit 1; }

declare -A EN ZH

EN[welcome]="Welcome to the twelve three four five citizen service hotline."
ZH[welcome]="欢迎致电一二三四五政务服务便民热线。"
# The recording notice ([[consent]] node): the caller may object with 9.
EN[recording_notice]="This call may be recorded for quality. If you do not agree, press 9."
ZH[recording_notice]="为了提高服务质量，本次通话可能会被录音；如不同意，请按9。"
EN[main_menu]="To check the status of a case, press 1. To report a problem or make a complaint, press 2. For answers to common questions, press 3. To speak to an agent, press 0."
ZH[main_menu]="查询工单办理进度，请按1。反映问题或投诉，请按2。咨询常见问题，请按3。人工服务，请按0。"
EN[invalid_choice]="Sorry, that is not a valid choice."
ZH[invalid_choice]="对不起，您的输入有误。"
EN[no_input]="Sorry, we did not receive your choice."
ZH[no_input]="对不起，我们没有收到您的输入。"
EN[enter_case_ref]="Please enter the twelve digit case reference number, followed by the hash key."
ZH[enter_case_ref]="请输入十二位工单编号，以井号键结束。"
EN[case_ref_invalid]="That reference number is not valid. Please check it and try again."
ZH[case_ref_invalid]="您输入的工单编号无效，请核对后重新输入。"
EN[case_ref_is]="Case number"
ZH[case_ref_is]="工单编号"
EN[case_status_is]="The status of this case is:"
ZH[case_status_is]="该工单的办理状态是："
EN[status_open]="received, and waiting to be assigned."
ZH[status_open]="已受理，等待分派。"
EN[status_in_progress]="being handled."
ZH[status_in_progress]="正在办理中。"
EN[status_resolved]="resolved, and waiting for your feedback."
ZH[status_resolved]="已办结，等待您的评价。"
EN[status_closed]="closed."
ZH[status_closed]="已结案。"
EN[status_unknown]="not available at the moment."
ZH[status_unknown]="暂时无法查询。"
EN[case_department_is]="The responsible department is:"
ZH[case_department_is]="承办部门是："
EN[case_reply_is]="The department replied:"
ZH[case_reply_is]="部门的答复是："
EN[dept_housing]="the Housing Bureau."
ZH[dept_housing]="住房和城乡建设局。"
EN[dept_transport]="the Transport Bureau."
ZH[dept_transport]="交通运输局。"
EN[dept_social_security]="the Human Resources and Social Security Bureau."
ZH[dept_social_security]="人力资源和社会保障局。"
EN[dept_environment]="the Ecology and Environment Bureau."
ZH[dept_environment]="生态环境局。"
EN[dept_government_services]="the Government Services Administration."
ZH[dept_government_services]="政务服务管理局。"
EN[dept_market_regulation]="the Market Regulation Administration."
ZH[dept_market_regulation]="市场监督管理局。"
EN[dept_water]="the Water Authority."
ZH[dept_water]="水务局。"
EN[dept_general]="the hotline service centre."
ZH[dept_general]="热线服务中心。"
EN[dept_other]="another department. An agent can tell you more."
ZH[dept_other]="其他部门，详情请咨询人工服务。"
EN[case_after_menu]="To hear this again, press 1. To speak to an agent, press 0. To return to the main menu, press 9."
ZH[case_after_menu]="重听请按1，人工服务请按0，返回主菜单请按9。"
EN[case_not_found]="We could not find a case with this number."
ZH[case_not_found]="没有查询到该编号的工单。"
EN[case_not_found_menu]="To enter the number again, press 1. To speak to an agent, press 0. To return to the main menu, press 9."
ZH[case_not_found_menu]="重新输入请按1，人工服务请按0，返回主菜单请按9。"
EN[service_unavailable]="Sorry, this service is not available at the moment."
ZH[service_unavailable]="对不起，该服务暂时无法使用。"
EN[report_menu]="Please choose the subject. Housing and property, press 1. Roads and public transport, press 2. Social security and employment, press 3. Environment and noise, press 4. Anything else, press 0. To return to the main menu, press 9."
ZH[report_menu]="请选择问题类别。住房和物业，请按1。道路和公共交通，请按2。社保和就业，请按3。环境和噪音，请按4。其他问题，请按0。返回主菜单，请按9。"
EN[connecting]="Please hold. We are connecting you to an agent."
ZH[connecting]="正在为您转接人工服务，请稍候。"
EN[info_menu]="For the opening hours of government service centres, press 1. For the documents you need for common applications, press 2. To learn how your complaint is handled, press 3. To speak to an agent, press 0. To go back, press 9."
ZH[info_menu]="政务服务中心办公时间，请按1。常见事项所需材料，请按2。投诉办理流程，请按3。人工服务，请按0。返回上级菜单，请按9。"
EN[info_hours]="Government service centres are open Monday to Friday, from nine in the morning to five in the afternoon, and on Saturday mornings."
ZH[info_hours]="政务服务中心办公时间为周一至周五上午九点至下午五点，周六上午照常办公。"
EN[info_documents]="For most applications, please bring your resident identity card, your household register, and the application form, which you can download from the government service website."
ZH[info_documents]="办理大多数事项，请携带居民身份证、户口簿和申请表，申请表可在政务服务网下载。"
EN[info_process]="Every request receives a case number. It is passed to the responsible department within one working day, and you will receive an answer within five working days."
ZH[info_process]="每件诉求都会生成工单编号，一个工作日内转交承办部门，五个工作日内给您答复。"
EN[info_more]="To hear another answer, press 1. To speak to an agent, press 0. To go back, press 9."
ZH[info_more]="收听其他问题请按1，人工服务请按0，返回请按9。"
EN[after_hours]="Our agents are available Monday to Friday from eight in the morning to eight in the evening, and at weekends from nine in the morning to five in the afternoon."
ZH[after_hours]="人工服务时间为周一至周五早八点至晚八点，周末上午九点至下午五点。"
EN[holiday_greeting]="Today is a public holiday, and our agents are not available."
ZH[holiday_greeting]="今天是法定节假日，人工服务暂停。"
EN[after_hours_menu]="To check the status of a case, press 1. To leave a message, press 2. To ask for a call back, press 3. For answers to common questions, press 4."
ZH[after_hours_menu]="查询工单进度请按1，留言请按2，预约回电请按3，咨询常见问题请按4。"
EN[leave_message]="Please leave your message after the tone, with your name and the address concerned. Press the hash key when you have finished."
ZH[leave_message]="请在提示音后留言，并说明您的姓名和相关地址，留言结束请按井号键。"
EN[message_saved]="Thank you. Your message has been registered as case number"
ZH[message_saved]="谢谢，您的留言已登记，工单编号是"
EN[message_empty]="We did not hear a message."
ZH[message_empty]="我们没有听到您的留言。"
EN[callback_confirmed]="Thank you. An agent will call you back on this number during opening hours. Goodbye."
ZH[callback_confirmed]="谢谢，我们将在工作时间回电至本号码。再见。"
EN[callback_no_number]="Sorry, your number is hidden, so we cannot call you back."
ZH[callback_no_number]="对不起，您的号码未显示，无法为您预约回电。"
EN[queue_busy_menu]="All our agents are busy. To ask for a call back, press 1. To leave a message, press 2. To keep waiting, press 3."
ZH[queue_busy_menu]="坐席全忙。预约回电请按1，留言请按2，继续等待请按3。"
EN[survey]="Please rate our service. Very satisfied, press 5. Satisfied, press 4. Neutral, press 3. Dissatisfied, press 2. Very dissatisfied, press 1."
ZH[survey]="请对本次服务进行评价。非常满意请按5，满意请按4，一般请按3，不满意请按2，非常不满意请按1。"
EN[survey_invalid]="Please press a key from 1 to 5."
ZH[survey_invalid]="请按1到5之间的数字键。"
EN[survey_thanks]="Thank you for your feedback. Goodbye."
ZH[survey_thanks]="感谢您的评价，再见。"
EN[callback_intro]="Hello, the citizen hotline calling you back."
ZH[callback_intro]="您好，一二三四五热线给您回电。"
EN[follow_up_intro]="Hello, this is the citizen hotline, following up on your request number"
ZH[follow_up_intro]="您好，这里是一二三四五热线，对您反映的问题进行回访。工单编号"
EN[follow_up_replied]="The responsible department has replied to your request and closed it."
ZH[follow_up_replied]="承办部门已经答复并办结了您的诉求。"
EN[follow_up_survey]="Were you satisfied with how it was handled? Very satisfied, press 5. Satisfied, press 4. Neutral, press 3. Dissatisfied, press 2. Very dissatisfied, press 1."
ZH[follow_up_survey]="您对办理结果是否满意？非常满意请按5，满意请按4，一般请按3，不满意请按2，非常不满意请按1。"
EN[follow_up_thanks]="Thank you for your time. Goodbye."
ZH[follow_up_thanks]="感谢您的配合，再见。"
# Said to callers waiting in an ACD queue (the call controller, not a script, plays these).
EN[queue_position_before]="You are number"
ZH[queue_position_before]="您现在排在第"
EN[queue_position_after]="in the queue."
ZH[queue_position_after]="位。"
EN[queue_wait_before]="The estimated waiting time is about"
ZH[queue_wait_before]="预计等待时间约"
EN[queue_wait_after]="minutes."
ZH[queue_wait_after]="分钟。"
EN[queue_keys]="To keep your place and be called back instead of waiting on the line, press 1."
ZH[queue_keys]="如需保留排队位置、挂机等待回电，请按1。"
EN[queue_key_message]="To leave a message instead of waiting, press 2."
ZH[queue_key_message]="如不想等待，留言请按2。"
EN[callback_keeps_place]="Thank you. You keep your place in the queue, and an agent will call you back on this number. Goodbye."
ZH[callback_keeps_place]="谢谢，您的排队位置已保留，轮到您时坐席将回电至本号码。再见。"
EN[goodbye]="Thank you for calling the citizen hotline. Goodbye."
ZH[goodbye]="感谢您的来电，再见。"

# The language menu is bilingual: each caller must understand it before
# choosing, so the same recording (Mandarin, then English) goes in both sets.
LANGUAGE_ZH="欢迎致电一二三四五热线。普通话服务请按1。"
LANGUAGE_EN="For English, press 2."

# The Mandarin voice. espeak-ng's plain `cmn` turns characters into pinyin
# and then reads that pinyin with English rules ("qing3" comes out as
# "king three"); its `cmn-latn-pinyin` variant reads the same pinyin as
# Mandarin, so it is used wherever it exists.
if espeak-ng --voices=cmn | grep -q 'cmn-latn-pinyin'; then
    MANDARIN=cmn-latn-pinyin
else
    MANDARIN=cmn
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# speak VOICE TEXT OUT: espeak-ng's 22.05 kHz output → 8 kHz mono 16-bit.
speak() {
    espeak-ng -v "$1" -s 150 -w "$tmp/raw.wav" -- "$2"
    # -D: no dither, so that regenerating gives the same bytes (reviewable diffs).
    sox -D "$tmp/raw.wav" -r 8000 -c 1 -b 16 -e signed-integer "$3" norm -3
}

names=("$@")
selected() {
    [ "${#names[@]}" -eq 0 ] && return 0
    local n; for n in "${names[@]}"; do [ "$n" = "$1" ] && return 0; done
    return 1
}

mkdir -p "$here/en" "$here/zh"
count=0
for name in "${!EN[@]}"; do
    selected "$name" || continue
    [ -n "${ZH[$name]:-}" ] || { echo "prompt $name has no Mandarin text" >&2; exit 1; }
    speak en "${EN[$name]}" "$here/en/$name.wav"
    speak "$MANDARIN" "${ZH[$name]}" "$here/zh/$name.wav"
    count=$((count + 1))
done
for name in "${!ZH[@]}"; do
    [ -n "${EN[$name]:-}" ] || { echo "prompt $name has no English text" >&2; exit 1; }
done
if selected choose_language; then
    speak "$MANDARIN" "$LANGUAGE_ZH" "$tmp/lang_zh.wav"
    speak en "$LANGUAGE_EN" "$tmp/lang_en.wav"
    sox -D "$tmp/lang_zh.wav" "$tmp/lang_en.wav" "$here/zh/choose_language.wav"
    cp "$here/zh/choose_language.wav" "$here/en/choose_language.wav"
    count=$((count + 1))
fi
# Music on hold for queued callers: no words, so one file for every
# language. A slow arpeggio of plucked notes over a soft pad, 16 seconds,
# looped by the call controller.
if selected music_on_hold; then
    mkdir -p "$here/music"
    notes=(C4 E4 G4 C5 A3 C4 E4 A4 F3 A3 C4 F4 G3 B3 D4 G4)
    parts=()
    for i in "${!notes[@]}"; do
        sox -D -n -r 8000 -c 1 -b 16 "$tmp/note$i.wav" synth 1 pluck "${notes[$i]}" fade 0 1 0.3 vol 0.5
        parts+=("$tmp/note$i.wav")
    done
    sox -D "${parts[@]}" "$tmp/melody.wav"
    sox -D -n -r 8000 -c 1 -b 16 "$tmp/pad.wav" synth 4 sine C3 vol 0.15 : synth 4 sine A2 vol 0.15 : synth 4 sine F2 vol 0.15 : synth 4 sine G2 vol 0.15
    sox -D -m "$tmp/melody.wav" "$tmp/pad.wav" -r 8000 -c 1 -b 16 -e signed-integer "$here/music/hold.wav" norm -6
    count=$((count + 1))
fi
echo "generated $count prompt(s) in $here/{en,zh}"
