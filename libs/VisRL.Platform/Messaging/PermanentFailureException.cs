namespace VisRL.Platform.Messaging;

/// <summary>
/// Work that retrying cannot fix (a corrupt image, an invalid command). The retry policy skips it,
/// so the message goes straight to its _error queue, with this message as the reason.
/// </summary>
public class PermanentFailureException(string message, Exception? inner = null) : Exception(message, inner);
