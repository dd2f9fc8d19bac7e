"""The stateful check of the conversation lifecycle: random sequences of creates, messages, renames,
deletes, pages and walks, each answer judged against a model of the run's own conversations.

``machine`` drives the API through the executor's limits and tells the story of a failure (``story``);
the model that predicts (``oracles.lifecycle_model``) and the judgement of each answer against it
(``oracles.lifecycle``) are pure oracles; ``data.clock`` waits for a later server second when a step
needs one.
"""
