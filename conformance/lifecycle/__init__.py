"""The stateful check of the conversation lifecycle: random sequences of creates, messages, renames,
deletes, pages and walks, each answer judged against a model of the run's own conversations.

``model`` (pure) predicts; ``oracle`` (pure) compares a recorded answer with the prediction;
``clock`` waits for a later server second only when a step needs one; ``machine`` drives the API.
"""
