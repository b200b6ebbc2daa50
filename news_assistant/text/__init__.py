"""Pure text functions, no I/O beyond the word lists shipped with them: sentence spans, news
boilerplate, metadata (title, date, dateline), calendar words, the Indonesian analyzer and the
English-to-Indonesian dictionary. Every later stage reads text through these, so an index, a
question and an answer always agree on what a word or a sentence is."""
