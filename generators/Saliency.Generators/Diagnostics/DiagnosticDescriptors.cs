using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace Saliency.Generators.Diagnostics;

/// <summary>
/// The SAL rules. IDs are stable: never renumber or reuse one; add new rules to
/// <c>AnalyzerReleases.Unshipped.md</c> and document them in <c>docs/diagnostics.md</c>.
/// Errors are not configurable, because the generator skips every model that has one.
/// The rules carry no help link: the project has no web home to point at. docs/diagnostics.md documents every rule
/// and ships in the Saliency.Abstractions package (docs/diagnostics.md), next to this analyzer.
/// </summary>
internal static class DiagnosticDescriptors
{
    /// <summary>The category of every SAL rule.</summary>
    public const string Category = "Saliency";

    /// <summary>SAL001: the model type, or a type containing it, is not <c>partial</c>.</summary>
    public static readonly DiagnosticDescriptor TypeNotPartial = new(
        id: "SAL001",
        title: "Explainable model types must be partial",
        messageFormat: "'{0}' must be declared partial, because the Saliency generator adds IExplainable to '{1}'",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The Saliency generator implements IExplainable in a second part of the model type, so the type and every type that contains it must be partial.",
        customTags: WellKnownDiagnosticTags.NotConfigurable);

    /// <summary>SAL002: the model type does not derive from <c>Module&lt;Tensor, Tensor&gt;</c>.</summary>
    public static readonly DiagnosticDescriptor NotATensorModule = new(
        id: "SAL002",
        title: "Explainable models must derive from Module<Tensor, Tensor>",
        messageFormat: "'{0}' has explainable members but does not derive from TorchSharp.torch.nn.Module<Tensor, Tensor>",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "IExplainable.Module is the model itself, which must map an input batch to logits: the type must derive from TorchSharp.torch.nn.Module<Tensor, Tensor>.",
        customTags: WellKnownDiagnosticTags.NotConfigurable);

    /// <summary>SAL003: an <c>[ExplainLayer]</c> member's type is not a TorchSharp module.</summary>
    public static readonly DiagnosticDescriptor MemberNotAModule = new(
        id: "SAL003",
        title: "Explainable layers must be TorchSharp modules",
        messageFormat: "'{0}' is a {1}, not a TorchSharp module, so it cannot be an explainable layer",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Only a submodule (a TorchSharp.torch.nn.Module) has an output that forward hooks can capture.",
        customTags: WellKnownDiagnosticTags.NotConfigurable);

    /// <summary>SAL004: two layers of one model share a name.</summary>
    public static readonly DiagnosticDescriptor DuplicateLayerName = new(
        id: "SAL004",
        title: "Explainable layer names must be unique",
        messageFormat: "Layer name '{0}' of '{1}' is already used by '{2}'; give one of them another name",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Users select a layer by its name, so every explainable layer of a model needs its own name.",
        customTags: WellKnownDiagnosticTags.NotConfigurable);

    /// <summary>SAL005: more than one layer is marked <c>IsDefault = true</c>.</summary>
    public static readonly DiagnosticDescriptor MultipleDefaultLayers = new(
        id: "SAL005",
        title: "At most one explainable layer can be the default",
        messageFormat: "'{0}' is marked IsDefault, but '{1}' already is; a model has at most one default layer",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The default layer is the one explained when a request names none, so only one layer can be it.",
        customTags: WellKnownDiagnosticTags.NotConfigurable);

    /// <summary>SAL006: the <c>[ClassifierHead]</c> member is not a <c>Linear</c>.</summary>
    public static readonly DiagnosticDescriptor ClassifierHeadNotLinear = new(
        id: "SAL006",
        title: "The classifier head must be a Linear module",
        messageFormat: "'{0}' is a {1}, but [ClassifierHead] needs a TorchSharp.Modules.Linear, whose rows CAM uses as channel weights",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Class Activation Mapping weights the explained layer's channels with the rows of the Linear head that follows global average pooling.",
        customTags: WellKnownDiagnosticTags.NotConfigurable);

    /// <summary>SAL007: an <c>[ExplainLayer]</c> module does not map one tensor to one tensor.</summary>
    public static readonly DiagnosticDescriptor LayerNotHookable = new(
        id: "SAL007",
        title: "Explainable layers must map one Tensor to one Tensor",
        messageFormat: "'{0}' is a {1}, which is not a Module<Tensor, Tensor>, so its output cannot be captured by a forward hook",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Saliency hooks layers through Module<Tensor, Tensor>; a module with several inputs or outputs cannot be hooked that way.",
        customTags: WellKnownDiagnosticTags.NotConfigurable);

    /// <summary>SAL008: the model's <c>forward</c> calls a functional ReLU.</summary>
    public static readonly DiagnosticDescriptor FunctionalRelu = new(
        id: "SAL008",
        title: "forward calls a functional ReLU that Guided Backprop cannot guide",
        messageFormat: "'{0}.forward' calls {1}, which Guided Backprop cannot guide: it guides only ReLU modules invoked with call; use a ReLU module such as nn.ReLU() instead",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Guided Backprop replaces the backward pass of ReLU modules through forward hooks; a functional ReLU has no module to hook, so its gradient passes unguided.");

    /// <summary>SAL009: an <c>[ExplainLayer]</c> member is invoked with <c>forward</c>, which skips hooks.</summary>
    public static readonly DiagnosticDescriptor LayerInvokedWithForward = new(
        id: "SAL009",
        title: "Explainable layers must be invoked with call, not forward",
        messageFormat: "'{0}' is invoked with forward(...), which skips forward hooks, so the layer is silently not captured; use call(...)",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "TorchSharp runs forward hooks only when a module is invoked with call(...); forward(...) bypasses them.");

    /// <summary>SAL010: more than one <c>[ClassifierHead]</c>.</summary>
    public static readonly DiagnosticDescriptor MultipleClassifierHeads = new(
        id: "SAL010",
        title: "A model has at most one classifier head",
        messageFormat: "'{0}' is marked [ClassifierHead], but '{1}' already is; a model has at most one classifier head",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "IExplainable.ClassifierHead is a single Linear module.",
        customTags: WellKnownDiagnosticTags.NotConfigurable);

    /// <summary>SAL011: several layers and none is the default.</summary>
    public static readonly DiagnosticDescriptor NoDefaultLayer = new(
        id: "SAL011",
        title: "Several explainable layers and none is the default",
        messageFormat: "'{0}' has {1} explainable layers and none is marked IsDefault = true, so '{2}', declared first, is the default",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "When a request names no layer, the default layer is explained; mark the intended one with IsDefault = true.");

    /// <summary>SAL012: an annotated member is static.</summary>
    public static readonly DiagnosticDescriptor StaticMember = new(
        id: "SAL012",
        title: "Explainable members must be instance members",
        messageFormat: "'{0}' is static, but [{1}] marks a submodule of each model instance; make it an instance member",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Layers and classifier heads are submodules of one model instance.",
        customTags: WellKnownDiagnosticTags.NotConfigurable);

    /// <summary>SAL013: the model declares a member the generated code needs.</summary>
    public static readonly DiagnosticDescriptor GeneratedMemberClash = new(
        id: "SAL013",
        title: "The model declares a member the generator needs",
        messageFormat: "'{0}' declares a member named '{1}', which clashes with the generated member of that name; rename it",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generator adds a nested Layers class and private fields whose names start with __saliency to the model.",
        customTags: WellKnownDiagnosticTags.NotConfigurable);

    /// <summary>SAL014: a layer name is empty.</summary>
    public static readonly DiagnosticDescriptor EmptyLayerName = new(
        id: "SAL014",
        title: "Explainable layer names must not be empty",
        messageFormat: "The layer name of '{0}' is empty or white space; pass a name or omit it to use the member's name",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Users select a layer by its name; the empty name is the model itself in named_modules().",
        customTags: WellKnownDiagnosticTags.NotConfigurable);

    /// <summary>SAL015: a <c>[ClassifierHead]</c> in a type with no <c>[ExplainLayer]</c>.</summary>
    public static readonly DiagnosticDescriptor ClassifierHeadWithoutLayers = new(
        id: "SAL015",
        title: "A classifier head without explainable layers has no effect",
        messageFormat: "'{0}' has a [ClassifierHead] but no [ExplainLayer] member, so nothing is generated for it; mark the layer to explain with [ExplainLayer]",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "The generator implements IExplainable only for types with at least one [ExplainLayer] member.");

    /// <summary>SAL016: a token grid with only one of its sizes, or prefix tokens without a grid.</summary>
    public static readonly DiagnosticDescriptor IncompleteTokenGrid = new(
        id: "SAL016",
        title: "A token grid needs both its height and its width",
        messageFormat: "'{0}' sets {1} but not {2}; a token layer declares TokenGridHeight and TokenGridWidth together",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A layer whose output is tokens [B,N,C] is explained as the grid [B,C,h,w], which needs both h (TokenGridHeight) and w (TokenGridWidth); PrefixTokens only says how many tokens precede that grid.",
        customTags: WellKnownDiagnosticTags.NotConfigurable);

    /// <summary>SAL017: a token grid size below 1 or a negative prefix count.</summary>
    public static readonly DiagnosticDescriptor InvalidTokenGrid = new(
        id: "SAL017",
        title: "Token grid sizes must be positive and prefix tokens not negative",
        messageFormat: "'{0}' sets {1} = {2}, but it must be {3}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "TokenGridHeight and TokenGridWidth count patch rows and columns (at least 1); PrefixTokens counts the tokens before the patches (0 or more).",
        customTags: WellKnownDiagnosticTags.NotConfigurable);

    /// <summary>Every rule, for <c>SupportedDiagnostics</c>.</summary>
    public static ImmutableArray<DiagnosticDescriptor> All { get; } =
    [
        TypeNotPartial,
        NotATensorModule,
        MemberNotAModule,
        DuplicateLayerName,
        MultipleDefaultLayers,
        ClassifierHeadNotLinear,
        LayerNotHookable,
        FunctionalRelu,
        LayerInvokedWithForward,
        MultipleClassifierHeads,
        NoDefaultLayer,
        StaticMember,
        GeneratedMemberClash,
        EmptyLayerName,
        ClassifierHeadWithoutLayers,
        IncompleteTokenGrid,
        InvalidTokenGrid,
    ];
}
