"""Chat with a model: the engine, its loader and worker process, and the OpenAI-compatible server."""
