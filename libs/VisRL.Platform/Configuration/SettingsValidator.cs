using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace VisRL.Platform.Configuration;

/// <summary>Validates an options class by its data annotations and names each failing setting.</summary>
internal sealed class SettingsValidator<T>(string section) : IValidateOptions<T> where T : class
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        var results = new List<ValidationResult>();
        if (Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
            return ValidateOptionsResult.Success;

        var failures = results.Select(r =>
        {
            var member = r.MemberNames.FirstOrDefault() ?? "?";
            return $"Setting {SettingKey.Describe($"{section}:{member}")}: {r.ErrorMessage}";
        });
        return ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Marker validated at start-up: fails when a VISRL__ variable names no known setting.</summary>
internal sealed class EnvironmentSettingsCheck;

internal sealed class EnvironmentSettingsValidator(SettingsCatalog catalog) : IValidateOptions<EnvironmentSettingsCheck>
{
    public ValidateOptionsResult Validate(string? name, EnvironmentSettingsCheck options)
    {
        var names = Environment.GetEnvironmentVariables().Keys.Cast<string>();
        var errors = catalog.FindUnknown(names);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
