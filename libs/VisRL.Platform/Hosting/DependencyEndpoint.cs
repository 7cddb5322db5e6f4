namespace VisRL.Platform.Hosting;

/// <summary>
/// A server this process cannot work without, and the settings a user would fix when it is
/// unreachable. The <see cref="DependencyGate"/> checks each before the service starts.
/// </summary>
public sealed record DependencyEndpoint(string What, string Host, int Port, params string[] Settings)
{
    public override string ToString() => $"{What} at {Host}:{Port}";
}
