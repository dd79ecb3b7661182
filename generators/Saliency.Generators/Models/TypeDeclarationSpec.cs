namespace Saliency.Generators.Models;

/// <summary>What a <c>partial</c> declaration of a type repeats: its keyword and its name with type parameters.</summary>
/// <param name="Keyword">The declaration keyword: <c>class</c>, <c>struct</c>, <c>interface</c>, <c>record</c> or <c>record struct</c>.</param>
/// <param name="Name">The escaped name with its type parameter list, e.g. <c>Net&lt;T&gt;</c>.</param>
internal readonly record struct TypeDeclarationSpec(string Keyword, string Name);
