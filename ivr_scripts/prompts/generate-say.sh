#!/usr/bin/env bash
# Records the pieces the media engine uses to say values (digits, numbers,
# dates, times, case references): espeak-ng voices `en` and `cmn`, trimmed of
# leading/trailing silence so they join tightly, converted with sox to 8 kHz
# mono 16-bit WAV. Output: ivr_scripts/prompts/<lang>/say/<piece>.wav.
#
# The piece names are the ones `hotline_media::say::all_pieces` lists; the
# media crate's test `say_pieces_exist` fails if one is missing here. Replace
# a WAV with a studio recording of the same name at any time.
#
# Usage: ivr_scripts/prompts/generate-say.sh      Needs: espeak-ng, sox
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
command -v espeak-ng >/dev/null || { echo "espeak-ng is missing: apt-get install espeak-ng" >&2; exit 1; }
command -v sox >/dev/null || { echo "sox is missing: apt-get install sox" >&2; exit 1; }

declare -A EN ZH
en_digits=(zero one two three four five six seven eight nine)
zh_digits=(零 一 二 三 四 五 六 七 八 九)
for i in 0 1 2 3 4 5 6 7 8 9; do
  EN[digit-$i]="${en_digits[$i]}"
  ZH[digit-$i]="${zh_digits[$i]}"
done
EN[star]="star";        ZH[star]="星号"
EN[pound]="hash";       ZH[pound]="井号"
EN[letter-x]="X";       ZH[letter-x]="叉"
EN[minus]="minus";      ZH[minus]="负"

teens=(ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen)
for i in 0 1 2 3 4 5 6 7 8 9; do EN[n-1$i]="${teens[$i]}"; done
tens=("" "" twenty thirty forty fifty sixty seventy eighty ninety)
for i in 2 3 4 5 6 7 8 9; do EN[n-${i}0]="${tens[$i]}"; done
EN[hundred]="hundred"; EN[thousand]="thousand"; EN[million]="million"; EN[billion]="billion"
months=(January February March April May June July August September October November December)
for i in $(seq 1 12); do EN[month-$i]="${months[$((i - 1))]}"; done
ordinals=(first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth
  thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth
  "twenty first" "twenty second" "twenty third" "twenty fourth" "twenty fifth" "twenty sixth"
  "twenty seventh" "twenty eighth" "twenty ninth" thirtieth "thirty first")
for i in $(seq 1 31); do EN[ordinal-$i]="${ordinals[$((i - 1))]}"; done
EN[oh]="oh"; EN[oclock]="o'clock"; EN[am]="A M"; EN[pm]="P M"

ZH[yao]="幺"; ZH[liang]="两"; ZH[ten]="十"; ZH[hundred]="百"; ZH[thousand]="千"
ZH[ten-thousand]="万"; ZH[hundred-million]="亿"
ZH[year]="年"; ZH[month]="月"; ZH[day]="日"; ZH[hour]="点"; ZH[minute]="分"; ZH[sharp]="整"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

render() { # voice text out.wav
  espeak-ng -v "$1" -s 150 -w "$tmp/raw.wav" "$2"
  # Trim silence at both ends (joins stay tight), then telephone format.
  sox "$tmp/raw.wav" -r 8000 -c 1 -b 16 "$3" silence 1 0.01 0.3% reverse silence 1 0.01 0.3% reverse gain -n -3
}

for lang in en zh; do
  out="$here/$lang/say"
  mkdir -p "$out"
  # A short pause between groups of a case reference.
  sox -n -r 8000 -c 1 -b 16 "$out/pause.wav" trim 0 0.3
done
for name in "${!EN[@]}"; do render en "${EN[$name]}" "$here/en/say/$name.wav"; done
for name in "${!ZH[@]}"; do render cmn "${ZH[$name]}" "$here/zh/say/$name.wav"; done
echo "say pieces: $(ls "$here/en/say" | wc -l) en, $(ls "$here/zh/say" | wc -l) zh"
