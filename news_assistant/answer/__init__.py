"""From the top passages to an answer: the answering sentence with its span and citation, or an
honest "not in the archive". It reads the `Query` and the `Passage`s it is given and never calls
back into retrieval."""
