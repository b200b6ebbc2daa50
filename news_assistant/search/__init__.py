"""From a question to ranked, cited passages: the question is analysed once into a `Query`
(language, kind, terms, translations, vector), then BM25 and dense rankings are fused."""
