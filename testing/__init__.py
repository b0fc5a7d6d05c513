"""Test and demo assets that ship with the project: a fault-injecting OpenAI-compatible server
(:mod:`testing.fake_openai`) and the tiny Qwen2-architecture model built locally
(:mod:`testing.tiny_model`), which the ``tiny`` agent preset, the tests and the demo run on."""
