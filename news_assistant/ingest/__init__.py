"""From files to passages: seed folders and JSONL corpora decoded into `Article`s (the file's
text untouched, with the blocks that hold reporting), then cut into `Chunk`s of whole sentences
whose offsets point into that text, so every citation can be checked against the file."""
