using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Saliency;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Saliency in a <see cref="IServiceCollection"/>.</summary>
public static class SaliencyServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="SaliencyHost"/> for the application (a singleton, created on first use, disposed with
    /// the service provider) that logs through <see cref="ILogger{TCategoryName}"/> of <see cref="SaliencyHost"/>.
    /// Its <see cref="SaliencyOptions"/> are bound from the configuration section <c>Saliency</c> when the container
    /// has an <see cref="IConfiguration"/> (as ASP.NET Core and the generic host do), then <paramref name="configure"/> runs.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Changes the options after configuration binding; optional.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <example>
    /// <code>
    /// builder.Services.AddSaliency(options => options.PluginDirectories.Add("/srv/saliency/plugins"));
    /// // appsettings.json: { "Saliency": { "Device": "cpu", "PluginDirectories": [ "plugins-extra" ] } }
    /// </code>
    /// </example>
    public static IServiceCollection AddSaliency(this IServiceCollection services, Action<SaliencyOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions();
        services.AddSingleton<IConfigureOptions<SaliencyOptions>>(provider => new ConfigureOptions<SaliencyOptions>(options =>
            provider.GetService<IConfiguration>()?.GetSection(SaliencyOptions.SectionName).Bind(options)));
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<SaliencyOptions>>().Value;
            var logger = provider.GetService<ILogger<SaliencyHost>>();
            return SaliencyHost.Create(options.ToHostOptions(logger));
        });
        return services;
    }
}
