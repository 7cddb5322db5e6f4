using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace VisRL.Platform.Configuration;

public static class SettingsExtensions
{
    /// <summary>
    /// appsettings.json, then <c>VISRL__SECTION__SETTING</c> environment variables; every settings
    /// class registered later is validated at start, and unknown VISRL__ variables stop start-up.
    /// </summary>
    public static IHostApplicationBuilder AddVisRLConfiguration(this IHostApplicationBuilder builder)
    {
        builder.Configuration.AddEnvironmentVariables(SettingKey.EnvironmentPrefix);
        builder.Services.AddVisRLSettingsCatalog();
        return builder;
    }

    /// <summary>Binds <typeparamref name="T"/> to its <see cref="SettingsAttribute"/> section and validates it on start.</summary>
    public static OptionsBuilder<T> AddVisRLSettings<T>(this IServiceCollection services, IConfiguration configuration)
        where T : class
    {
        var section = SectionOf<T>();
        services.AddVisRLSettingsCatalog().Add(section, typeof(T));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<T>>(new SettingsValidator<T>(section)));
        return services.AddOptions<T>().Bind(configuration.GetSection(section)).ValidateOnStart();
    }

    /// <summary>Reads and validates <typeparamref name="T"/> right now (for code that runs before a host).</summary>
    public static T GetVisRLSettings<T>(this IConfiguration configuration) where T : class, new()
    {
        var section = SectionOf<T>();
        var options = configuration.GetSection(section).Get<T>() ?? new T();
        var result = new SettingsValidator<T>(section).Validate(null, options);
        if (result.Failed) throw new OptionsValidationException(section, typeof(T), result.Failures);
        return options;
    }

    public static string SectionOf<T>() =>
        typeof(T).GetCustomAttribute<SettingsAttribute>()?.Section
        ?? throw new InvalidOperationException($"{typeof(T).Name} has no [Settings] attribute.");

    private static SettingsCatalog AddVisRLSettingsCatalog(this IServiceCollection services)
    {
        var existing = services.FirstOrDefault(d => d.ServiceType == typeof(SettingsCatalog))?.ImplementationInstance;
        if (existing is SettingsCatalog catalog) return catalog;

        catalog = new SettingsCatalog();
        services.AddSingleton(catalog);
        services.AddSingleton<IValidateOptions<EnvironmentSettingsCheck>, EnvironmentSettingsValidator>();
        services.AddOptions<EnvironmentSettingsCheck>().ValidateOnStart();
        return catalog;
    }
}
