"""The BPJS Antrean FKTP web service: Antre tells BPJS of each number, call and cancellation.

- `settings`: which settings it needs (all four, or none: the feature is off);
- `crypto`: the headers' signature and the answers' decryption (AES-256-CBC, then LZ-string);
- `client`: one HTTP call, with a timeout, answered as `Answer` or raised as `Unreachable`;
- `calls`: which calls a change makes (rows of `bpjs_calls`, written in its transaction), their
  bodies, and sending a booking's calls in order, each once.
"""
