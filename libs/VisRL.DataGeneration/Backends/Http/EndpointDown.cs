namespace VisRL.DataGeneration.Backends.Http;

/// <summary>
/// When an endpoint counts as down rather than as failing some items: every request of a call failed,
/// and every failure was transient (unreachable, a timeout, 408, 429 or 5xx, after the retries), or any
/// request was refused for the endpoint's settings (401, 403, 404: a key or model name no request can
/// get past). Another 4xx or an unusable reply says something about its request, so it fails that item
/// alone, in a batch of one as in a batch of eight. Down fails the whole batch (BatchFailed), which the
/// Orchestrator retries, and a round whose every batch failed fails with the reason, for a retry with the
/// endpoint's settings mended; items failed one by one would instead leave it done with nothing to pair.
/// </summary>
public static class EndpointDown
{
    /// <summary>
    /// Asks the endpoint for every input at once (its gate limits them); each outcome is the result or the
    /// request's failure after its retries.
    /// </summary>
    /// <exception cref="BackendUnavailableException">The endpoint is down (<see cref="ThrowIfNoneAnswered"/>).</exception>
    public static async Task<IReadOnlyList<(TResult? Result, EndpointException? Failure)>> AskEachAsync<TInput, TResult>(
        IReadOnlyList<TInput> inputs, Func<TInput, Task<TResult>> ask) where TResult : class
    {
        var outcomes = await Task.WhenAll(inputs.Select(async input =>
        {
            try
            {
                return (Result: (TResult?)await ask(input), Failure: (EndpointException?)null);
            }
            catch (EndpointException e)
            {
                return (Result: (TResult?)null, Failure: e);
            }
        }));
        ThrowIfNoneAnswered([.. outcomes.Select(o => o.Failure)]);
        return outcomes;
    }

    /// <param name="errors">Each request's failure, null for a request that was answered.</param>
    /// <exception cref="BackendUnavailableException">No request was answered and every failure was transient, or one was refused for the endpoint's settings.</exception>
    private static void ThrowIfNoneAnswered(IReadOnlyList<EndpointException?> errors)
    {
        if (errors.FirstOrDefault(e => e is { RefusesEveryRequest: true }) is { } refusal)
            throw new BackendUnavailableException($"the endpoint refuses every request: {refusal.Message}");
        if (errors.Count > 0 && errors.All(e => e is { Transient: true }))
            throw new BackendUnavailableException($"no request of the batch was answered; first: {errors[0]!.Message}");
    }
}
