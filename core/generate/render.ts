/**
 * Renders a precompiled template (templates/<kind>/<file>.hbs) with a view model. Templates only
 * lay out what the view model decided; every value in it is already quoted for its syntax.
 */
import type Handlebars from 'handlebars';
import HandlebarsRuntime from 'handlebars/runtime.js';
import { templates } from './generated/templates.js';

// The runtime ships no usable type declarations of its own; its API is the full package's.
const runtime = (HandlebarsRuntime as unknown as typeof Handlebars).create();
const compiled = new Map<string, HandlebarsTemplateDelegate>();

/** Renders `templates/<name>.hbs`; throws when the view model lacks a field the template uses. */
export function renderTemplate(name: string, view: object): string {
  let template = compiled.get(name);
  if (!template) {
    const spec = templates[name];
    if (!spec) throw new Error(`no template ${name}.hbs in templates/`);
    const created = runtime.template(spec as TemplateSpecification);
    compiled.set(name, created);
    template = created;
  }
  return template(view);
}
