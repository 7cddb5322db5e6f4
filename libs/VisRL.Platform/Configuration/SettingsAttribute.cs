namespace VisRL.Platform.Configuration;

/// <summary>Names the configuration section an options class binds to (e.g. "Messaging").</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class SettingsAttribute(string section) : Attribute
{
    public string Section { get; } = section;
}
