// Session tests need a running engine; see repl/tests for end-to-end transcripts.
