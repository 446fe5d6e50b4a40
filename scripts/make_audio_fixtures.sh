#!/usr/bin/env bash
# Regenerates the committed speech fixtures in tests/fixtures/audio/ (the tests never run espeak themselves).
#
# Requires (Debian/Ubuntu):  apt-get install -y espeak-ng sox
# Made with espeak-ng 1.51 and SoX 14.4.2; other versions give slightly different (equally valid) audio.
#
# Every file is what the browser uploads: RIFF/WAVE, PCM signed 16-bit, mono, 16 kHz. Steps per utterance:
# espeak-ng (22.05 kHz) -> trim espeak's own leading/trailing silence -> resample to 16 kHz (SoX "rate", high
# quality) -> peak-normalise to -3 dBFS -> 0.25 s of digital silence on each side. Dither is off (-D) so the output is
# byte-for-byte reproducible.
set -euo pipefail

OUT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/fixtures/audio"
mkdir -p "$OUT"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

FORMAT=(-D -r 16000 -c 1 -b 16 -e signed-integer)
TRIM=(silence 1 0.02 0.1% reverse silence 1 0.02 0.1% reverse)

# utterance VOICE TEXT OUT.wav : one spoken sentence, trimmed, 16 kHz mono 16-bit, no padding
utterance() {
    espeak-ng -v "$1" -w "$WORK/raw.wav" "$2"
    sox -D "$WORK/raw.wav" "${FORMAT[@]}" "$3" "${TRIM[@]}" rate -h 16000
}

# finish IN.wav OUT.wav : normalise and pad
finish() {
    sox -D "$1" "${FORMAT[@]}" "$2" gain -n -3 pad 0.25 0.25
}

utterance en-us "Can you tell me the answer to question five? I think it is option two." "$WORK/en.wav"
finish "$WORK/en.wav" "$OUT/speech_en.wav"

utterance ru "Подскажи ответ на пятый вопрос. Я думаю, там второй вариант." "$WORK/ru.wav"
finish "$WORK/ru.wav" "$OUT/speech_ru.wav"

utterance kk "Бесінші сұрақтың жауабы қандай? Менің ойымша, екінші нұсқа." "$WORK/kk.wav"
finish "$WORK/kk.wav" "$OUT/speech_kk.wav"

# Two people whispering answers to each other (Russian): a low male and a female espeak variant take turns with
# 0.35 s pauses between the turns.
utterance ru+m3 "Какой ответ в третьем?" "$WORK/t1.wav"
utterance ru+f3 "Сорок два." "$WORK/t2.wav"
utterance ru+m3 "Ты уверена?" "$WORK/t3.wav"
utterance ru+f3 "Да, проверь." "$WORK/t4.wav"
sox -D -n "${FORMAT[@]}" "$WORK/gap.wav" trim 0 0.35
sox -D "$WORK/t1.wav" "$WORK/gap.wav" "$WORK/t2.wav" "$WORK/gap.wav" "$WORK/t3.wav" "$WORK/gap.wav" "$WORK/t4.wav" \
    "${FORMAT[@]}" "$WORK/dialog.wav"
finish "$WORK/dialog.wav" "$OUT/speech_dialog_ru.wav"

for f in "$OUT"/speech_*.wav; do
    printf '%-22s %6.2f s %7d bytes\n' "$(basename "$f")" "$(soxi -D "$f")" "$(stat -c %s "$f")"
done
