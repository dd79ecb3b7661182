namespace Saliency;

/// <summary>Describes a saliency method: its id, what it shows and what it needs.</summary>
public sealed record MethodDescriptor
{
    /// <summary>Creates a descriptor.</summary>
    /// <param name="id">Kebab-case id users select the method by, such as <c>grad-cam</c>.</param>
    /// <param name="displayName">Human-readable name, such as <c>Grad-CAM</c>.</param>
    /// <param name="description">One line: what the map shows and where the method comes from.</param>
    /// <param name="requirements">What the method needs from the passes.</param>
    public MethodDescriptor(string id, string displayName, string description, MethodRequirements requirements)
    {
        Id = id;
        DisplayName = displayName;
        Description = description;
        Requirements = requirements;
    }

    /// <summary>Kebab-case id, unique among loaded methods.</summary>
    public string Id { get; init; }

    /// <summary>Human-readable name.</summary>
    public string DisplayName { get; init; }

    /// <summary>One-line description.</summary>
    public string Description { get; init; }

    /// <summary>What the method needs from the forward and backward passes.</summary>
    public MethodRequirements Requirements { get; init; }

    /// <summary>Ids of other methods this one invokes through <see cref="IExplanationContext.Invoke"/>; their needs join this one's.</summary>
    public IReadOnlyList<string> Composes { get; init; } = [];

    /// <summary>The options the method reads from <see cref="ExplainRequest.Options"/>, for help texts.</summary>
    public IReadOnlyList<MethodOption> Options { get; init; } = [];

    /// <summary>The contract version the method was compiled against (defaults to <see cref="SaliencyContract.Version"/> at compile time).</summary>
    public int ContractVersion { get; init; } = SaliencyContract.Version;
}

/// <summary>An option a method reads.</summary>
/// <param name="Key">The key in <see cref="ExplainRequest.Options"/>.</param>
/// <param name="Description">What it does, with the accepted values.</param>
/// <param name="Default">The value used when the key is absent.</param>
public sealed record MethodOption(string Key, string Description, string Default);
