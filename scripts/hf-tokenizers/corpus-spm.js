// corpus-spm.js is corpus.js plus the cases SentencePiece-style tokenizers (Precompiled
// charsmaps, Metaspace, Unigram, byte fallback) stress. Deterministic.
"use strict";
const { cases } = require("./corpus.js");

const add = (name, text) => cases.push({ name, text });
// Accents in every normalization form, and compatibility characters.
const accents = "Ångström café naïve résumé Ω ǅ ṩ ẛ̣ ﬃ ½ ｶﾞ ｷﾞｬ ㍿ ㈱ ℡ ⁹ ₂";
for (const form of ["NFC", "NFD", "NFKC", "NFKD"]) add(`spm-accents-${form}`, accents.normalize(form));
add("spm-turkish", "İstanbul ıslak İi Iı DİYARBAKIR dİ ı̇");
add("spm-german", "Straße STRASSE ß ẞ Maß");
add("spm-greek", "ΟΔΥΣΣΕΥΣ Οδυσσεύς σς ΣΑΣ ς ΐ ΰ");
add("spm-cyrillic", "Съешь же ещё этих мягких французских булок, да выпей чаю. ЁЖ ёж Ѐ й й");
add("spm-cjk", "自然语言处理 漢字 𠀀𪚥 〇 ㄅㄆ 〜 「引用」 かな カナ");
add("spm-halfwidth", "ｱｲｳｴｵ ｶﾞｷﾞｸﾞ ﾊﾟﾋﾟ ｰ ｡｢｣､･ ﾞﾟ");
add("spm-controls", "a\u0000b \uFFFD c\u200Bd e\u00ADf\tg\rh\u0001i\u001Ej\u007Fk\u0085l\u200Em\u2028n\uFEFFo");
add("spm-control-start", "\u001Eabc");
add("spm-control-only", "\u0001\u0002\u0003");
add("spm-control-trail", "abc\u001E");
add("spm-spaces", "a  b   c    d     e      f");
add("spm-space-edges", "  leading and trailing  ");
add("spm-ideographic-space", "a\u3000b\u3000\u3000c");
add("spm-long-word", "Donaudampfschifffahrtsgesellschaftskapitänswitwe".repeat(4));
add("spm-digits", "0 12 345 6789 3.14159 1,000,000 ０１２３ ²³ ①②");
add("spm-emoji", "👍🏽 👨‍👩‍👧‍👦 🇯🇵 🏳️‍🌈 ❤️ 1️⃣ 🫠");
add("spm-only-space", " ");
add("spm-only-ws", " \t\n \r\n ");
add("spm-metaspace-char", "▁ a▁b ▁▁ x ▁");
add("spm-bytes", "\u{10FFFD}\u{E0001} \u{1F9FF}\u{1FAE8} 𝔘𝔫𝔦𝔠𝔬𝔡𝔢");
add("spm-special-text", "<s> </s> <unk> <pad> <mask> <0x41> <bos> <eos>");

module.exports = { cases };
