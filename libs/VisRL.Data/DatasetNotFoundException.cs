namespace VisRL.Data;

/// <summary>No dataset by that name, or no items in the asked split.</summary>
public sealed class DatasetNotFoundException(string message) : Exception(message);
