namespace VisRL.DataGeneration.Backends.Http;

/// <summary>An endpoint gave no usable completion (after its retries, when <see cref="Transient"/>); the message names the endpoint and why.</summary>
public sealed class EndpointException(string message, bool transient, Exception? inner = null, bool refusesEveryRequest = false) : Exception(message, inner)
{
    /// <summary>A timeout, a connection error, 408, 429 or 5xx: worth trying again later.</summary>
    public bool Transient { get; } = transient;

    /// <summary>
    /// 401, 403 or 404: a wrong key, a forbidden account, a wrong model name or URL. Not the request's fault but the
    /// endpoint settings', so no request of the batch can succeed until they are mended (a retry with them changed).
    /// </summary>
    public bool RefusesEveryRequest { get; } = refusesEveryRequest;
}
