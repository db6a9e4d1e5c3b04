// corpus.js builds the tokenizer golden corpus: a list of {name, text}. Deterministic.
"use strict";

function lcg(seed) {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
}

const cases = [];
const add = (name, text) => cases.push({ name, text });

// Plain and model-card text.
add("empty", "");
add("space", " ");
add("hello", "Hello, world!");
add("card-doc1", "The capital of China is Beijing.");
add("card-doc2", "Gravity is a force that attracts two bodies towards each other. It gives weight to physical objects and is responsible for the movement of planets around the sun.");
add("card-query", "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:What is the capital of China?");
add("english", "It was the best of times, it was the worst of times; it was the age of wisdom... \"Quoted\" (parenthesised) [bracketed] {braced} — em-dash – en-dash … ellipsis.");
// Contractions in all cases, curly apostrophes, and letters whose case folding is special.
add("contractions", "I'm you're he's we've they'll I'd can't won't it's");
add("contractions-upper", "I'M YOU'RE HE'S WE'VE THEY'LL I'D CAN'T WON'T IT'S");
add("contractions-mixed", "It'S iT's 'S 'T 'Re 'rE 'rE 'Ve 'vE 'M 'Ll 'lL 'D 'd 'x 'st 'sa 'tt 'res 'vex 'mm 'lll 'dd");
add("contractions-fold", "'ſ 'ſt x'ſt 'ſa 'K 'k 'ﬅ 'İ 'ı he'ſ");
add("contractions-curly", "I’m you’re he’s ‘quoted’ ‛x‚");
add("apostrophes", "'hello '123 ''s '''t ' s 's's'S");
// Digits and numbers of every kind.
add("digits", "0123456789 3.14159 $1,000,000.00 -42 +7 1e10 0x1F 2024-01-01 12:30:45");
add("digits-unicode", "٠١٢٣٤٥٦٧٨٩ ۰۱۲ १२३ ௧௨௩ ①②③ ⅫⅣⅷ １２３ ½¾ ²³ 𝟙𝟚");
add("digits-long", "1234567890".repeat(30));
// Scripts.
add("chinese", "自然语言处理是人工智能的一个重要分支。北京是中国的首都，有着悠久的历史和灿烂的文化。");
add("japanese", "日本語のテキストです。ひらがな、カタカナ、漢字を含みます。ｶﾀｶﾅ（半角）も。");
add("korean", "안녕하세요, 세계! 한국어 텍스트입니다.");
add("hangul-jamo", "\u1100\u1161\u11A8 \u1112\u1161\u11AB\u1100\u1173\u11AF");
add("arabic", "مرحبا بالعالم! هذه جملة باللغة العربية، مع أرقام ١٢٣.");
add("hebrew", "שלום עולם! זה משפט בעברית.");
add("devanagari", "नमस्ते दुनिया! यह हिन्दी में एक वाक्य है। क़ ख़ ग़");
add("thai", "สวัสดีชาวโลก ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ");
add("mixed-scripts", "Ελληνικά Русский ქართული አማርኛ தமிழ் বাংলা ગુજરાતી ಕನ್ನಡ ພາສາລາວ မြန်မာ ខ្មែរ Tiếng Việt");
// Emoji.
add("emoji", "👍 👍🏽 👨‍👩‍👧‍👦 🇺🇸🇯🇵 🏳️‍🌈 ❤️ 1️⃣ 🧑🏿‍💻 😀😃😄 🫠");
add("emoji-dense", "a👍b👍🏽c👨‍👩‍👧‍👦d🇺🇸e");
// Normalization: decomposed accents that NFC composes, singletons, reordering.
add("nfc-compose", "Cafe\u0301 n\u0303 A\u030A e\u0301\u0301 o\u0308\u0304 Vie\u0323\u0302t Nam");
add("nfc-singletons", "\u212B \u2126 \u212A \uF900 \u0344 \u0340\u0341 \u1FEE");
add("nfc-reorder", "a\u0301\u0316 a\u0316\u0301 q\u0307\u0323 \u0041\u0328\u0301");
add("nfc-boundary", "e<|endoftext|>\u0301 a\u0301<|endoftext|> <|endoftext|>\u0301");
add("nfkc-fodder", "ﬁ ﬀ ㎏ ™ ℌ ① ｶ ¼ ⁵ ᵃ");
// Full-width and half-width forms.
add("fullwidth", "ＡＢＣ　ｄｅｆ！？（）［］｛｝＠＃＄％ ０１２");
// Zero-width and non-breaking characters.
add("zero-width", "a\u200Bb c\u200Cd e\u200Df \uFEFFg h\u2060i \u00ADsoft\u00ADhyphen \u180E");
add("nbsp", "a\u00A0b\u00A0\u00A0c \u00A0d\u00A0 e\u202Ff 100\u00A0km");
// Whitespace of every kind and every run shape.
const ws = ["\u0009", "\u000A", "\u000B", "\u000C", "\u000D", "\u0020", "\u0085", "\u00A0", "\u1680", "\u2000", "\u2001", "\u2002", "\u2003", "\u2004", "\u2005", "\u2006", "\u2007", "\u2008", "\u2009", "\u200A", "\u2028", "\u2029", "\u202F", "\u205F", "\u3000", "\u001C", "\u001D", "\u001E", "\u001F"];
ws.forEach((w, i) => {
  add(`ws-${i}-single`, `a${w}b`);
  add(`ws-${i}-runs`, `x${w}${w}y ${w}z${w} ${w}${w}\n${w}w${w}${w}`);
  add(`ws-${i}-punct`, `${w}!${w}${w}?${w}a`);
});
add("ws-runs", "a  b   c    d\t\te \t f\n\ng\n \n h  \n  i\r\n\r\nj \r\n k\n\n\n\nl   ");
add("ws-only-spaces", "     ");
add("ws-only-newlines", "\n\n\n");
add("ws-crlf", "line1\r\nline2\r\n\r\nline3\rline4\n\rline5");
add("ws-leading-trailing", "   leading and trailing   ");
add("ws-mixed-end", "end  \n  ");
add("ws-tabs-code", "\tfunc main() {\n\t\tfmt.Println(\"hi\")\n\t}\n");
add("ws-long-spaces", " ".repeat(3000) + "x");
add("ws-long-newlines", "\n".repeat(500) + "x" + "\r\n".repeat(300));
// Code.
add("code-go", "package main\n\nimport \"fmt\"\n\nfunc main() {\n    for i := 0; i < 10; i++ {\n        fmt.Printf(\"%d\\n\", i*i)\n    }\n}\n");
add("code-python", "def f(x: int) -> int:\n    \"\"\"Square.\"\"\"\n    return x ** 2  # comment\n\nif __name__ == '__main__':\n    print(f(3))\n");
add("code-js", "const x = (a, b) => { return a?.b ?? [1,2,3].map(v => v*2); };\n// TODO: fix!!!\n/* block */");
add("code-json", "{\"name\": \"gembed\", \"ids\": [1, 2, 3], \"ok\": true, \"nested\": {\"k\": null}}");
add("code-html", "<html><body><div class=\"x\">Hello &amp; welcome</div><br/></body></html>");
add("code-misc", "https://example.com/path?q=1&r=2#frag user@example.com C:\\Users\\x ~/dir/file.txt ^\\s+$ a==b!=c<=d>=e->f=>g");
add("markdown", "# Title\n\n* item **bold** _it_ `code`\n\n```go\nx := 1\n```\n\n| a | b |\n|---|---|\n");
// Added tokens inline and near misses.
add("special-alone", "<|endoftext|>");
add("special-inline", "a<|endoftext|>b");
add("special-chat", "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n");
add("special-nonspecial", "<think>\nreasoning\n</think>\n<tool_call>{\"x\":1}</tool_call><tool_response>ok</tool_response>");
add("special-fim", "<|fim_prefix|>def f():<|fim_suffix|>\n<|fim_middle|>return 1<|fim_pad|><|repo_name|>r<|file_sep|>");
add("special-vision", "<|vision_start|><|image_pad|><|vision_end|><|video_pad|><|vision_pad|><|box_start|><|box_end|><|quad_start|><|quad_end|><|object_ref_start|><|object_ref_end|>");
add("special-adjacent", "<|endoftext|><|endoftext|><|im_start|><|im_end|>");
add("special-spaces", " <|endoftext|> x <|im_end|>\n");
add("special-near", "<|endoftext| <|endoftext|>> <<|endoftext|> <|endoftext |> <|ENDOFTEXT|> < |endoftext|> <|endoftext <|im_start|im_end|> <think </think> <thinking>");
add("special-truncated-end", "text<|endoftext|");
add("special-pipe", "<||> <|> |> <| <|<|endoftext|>|>");
// Characters whose Unicode data differs between versions (the library's tables vs Go's).
add("unicode-new-letters", "\u1C89\u1C8A \uA7CB\uA7CC \u{2EBF0}\u{2EBF1}\u{2EE5D} x\u{2EBF0}y");
add("unicode-new-digits", "\u{10D40}\u{10D41}\u{10D49} \u{116D0}\u{116D1} a\u{10D40}");
add("unicode-new-marks", "a\u1AC1\u0316 a\u0316\u1AC1 e\u0D3B\u0301 x\u0898\u0334 a\u07FD\u0323");
add("unicode-new-nfkc", "\u32FF \uA7F2 \u{10781}");
add("unicode-unassigned", "\u0378 \u{E0080} \u{10FFFD} \uFFFF \uFDD0 \uE000 \u{F0000}");
add("unicode-nonchar-controls", "\u0000\u0001\u0007\u001B\u007F\u0080\u009F");
add("long-combining", "a" + "\u0301".repeat(40) + " e" + "\u0316\u0301".repeat(20) + " \u1100\u1161\u11A8" + "\u0323".repeat(35) + " x");
add("lone-combining", "\u0301 \u0301\u0301x \u20DD");

// Pseudo-random strings over a pool of interesting characters (fixed seed).
const pool = [
  "a", "b", "Z", "é", "e\u0301", "ß", "ſ", "İ", "'", "’", "s", "t", "S", "T", "re", "VE", "ll", "D", "m",
  " ", "  ", "\t", "\n", "\r\n", "\r", "\u00A0", "\u3000", "\u2009", "\u200B", "\u200D", "\u0085", "\u000B",
  "1", "23", "٣", "①", "!", "?", ".", ",", "-", "_", "(", ")", "\"", "#", "$", "%", "&", "*", "/", "\\", "|",
  "<", ">", "<|", "|>", "<|endoftext|>", "<|im_start|>", "<think>", "endoftext", "你", "好", "中文", "日本", "ｶ",
  "한", "\u1100\u1161", "م", "ا", "न", "्", "ส", "ั", "👍", "🏽", "\u200D", "🇺", "🇸", "❤", "\uFE0F", "\u0301",
  "\u0316", "\u1AC1", "\u{2EBF0}", "\u{10D40}", "\u1C89", "Ａ", "ﬁ", "\u212B", "ⅷ", "😀", "\u{1F9D1}",
];
const rnd = lcg(20251126);
for (let i = 0; i < 300; i++) {
  const n = 1 + Math.floor(rnd() * 24);
  let s = "";
  for (let j = 0; j < n; j++) s += pool[Math.floor(rnd() * pool.length)];
  add(`random-${i}`, s);
}

// Long inputs: a 20k-character mixed text, a long word, long CJK without spaces.
const words = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "Tokenizer", "embedding",
  "北京", "自然语言", "안녕", "مرحبا", "नमस्ते", "สวัสดี", "Καλημέρα", "Привет", "naïve", "café",
  "e\u0301t\u00e9", "👍🏽", "🇯🇵", "it's", "DON'T", "1234", "3.14", "x_y", "foo()", "a+b", "\n", "\n\n",
  "\t", "  ", "\u00A0", "<|endoftext|>", "<think>", "—", "…", "«»", "ＡＢＣ"];
const rw = lcg(42);
let long = "";
while ([...long].length < 20000) {
  long += words[Math.floor(rw() * words.length)];
  long += rw() < 0.8 ? " " : (rw() < 0.5 ? ". " : ", ");
}
long = [...long].slice(0, 20000).join("");
add("long-20k", long);
add("long-word", "a".repeat(5000));
add("long-word-mixed", "ab".repeat(1500) + "xyz".repeat(700));
add("long-cjk", "自然语言处理是人工智能的一个重要分支北京是中国的首都有着悠久的历史和灿烂的文化".repeat(60));
add("long-emoji", "👨‍👩‍👧‍👦".repeat(300));
add("long-punct", "!?".repeat(1000) + "\n\n");

module.exports = { cases };
