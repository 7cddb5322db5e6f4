namespace VisRL.Serving;

/// <summary>One choice: its text, why it ended ("stop" or "length") and its token count.</summary>
public sealed record Completion(string Text, string FinishReason, int CompletionTokens);

/// <summary>The choices of one request and the prompt's length in model tokens (image tokens included).</summary>
public sealed record CompletionSet(IReadOnlyList<Completion> Choices, int PromptTokens);
