using System.Collections;
using System.Reflection;

namespace VisRL.Platform.Configuration;

/// <summary>
/// The settings sections this process knows, so that a mistyped <c>VISRL__</c> variable stops
/// start-up with its name instead of being silently ignored.
/// </summary>
public sealed class SettingsCatalog
{
    private readonly Dictionary<string, (string Name, Type Type)> _sections = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyCollection<string> Sections => _sections.Values.Select(s => s.Name).ToList();

    public void Add(string section, Type optionsType) => _sections[section] = (section, optionsType);

    /// <summary>One error per environment variable that names no known setting.</summary>
    public IReadOnlyList<string> FindUnknown(IEnumerable<string> environmentVariableNames)
    {
        var errors = new List<string>();
        foreach (var name in environmentVariableNames)
        {
            if (!name.StartsWith(SettingKey.EnvironmentPrefix, StringComparison.OrdinalIgnoreCase)) continue;
            var parts = name[SettingKey.EnvironmentPrefix.Length..].Split("__");
            var error = Check(parts);
            if (error is not null) errors.Add($"Unknown setting {name}: {error}");
        }
        return errors;
    }

    private string? Check(string[] parts)
    {
        if (parts.Length < 2 || parts.Any(string.IsNullOrEmpty))
            return "expected VISRL__SECTION__SETTING.";
        if (!_sections.TryGetValue(parts[0], out var section))
            return $"there is no section '{parts[0]}'. Known sections: {string.Join(", ", Sections.Order())}.";

        var (path, type) = section;
        for (var i = 1; i < parts.Length; i++)
        {
            if (IsOpenEnded(type)) return null;
            if (IsLeaf(type)) return $"{path} is a single value and has no setting '{parts[i]}'.";
            var property = type.GetProperty(parts[i], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || !property.CanWrite && IsLeaf(property.PropertyType))
            {
                var known = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name);
                return $"{path} has no setting '{parts[i]}'. Known: {string.Join(", ", known)}.";
            }
            path += ":" + property.Name;
            type = property.PropertyType;
        }
        return IsLeaf(type) || IsOpenEnded(type) ? null : $"{path} is a group of settings, not a value.";
    }

    private static bool IsLeaf(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal)
            || type == typeof(TimeSpan) || type == typeof(Uri) || type == typeof(Guid);
    }

    // Dictionaries and lists take any key below them.
    private static bool IsOpenEnded(Type type) => type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type);
}
