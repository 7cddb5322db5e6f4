namespace VisRL.Platform.Hosting;

/// <summary>A required server could not be reached; the message names it, its address and the settings.</summary>
public sealed class DependencyUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
