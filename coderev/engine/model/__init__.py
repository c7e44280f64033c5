"""Model runtime: slots (CTranslate2 + sentencepiece + manifest), the prompt format, identifier
abstraction, compute-type selection and verification of every output. No torch here."""
