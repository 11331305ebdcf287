/**
 * Renders a precompiled template (templates/<kind>/<file>.hbs) with a view model. Templates only
 * lay out what the view model decided; every value in it is already quoted for its syntax.
 */
import Handlebars from 'handlebars/runtime';
import { templates } from './generated/templates.js';

const runtime = Handlebars.create();
const compiled = new Map<string, HandlebarsTemplateDelegate>();

/** Renders `templates/<name>.hbs`; throws when the view model lacks a field the template uses. */
export function renderTemplate(name: string, view: object): string {
  let template = compiled.get(name);
  if (!template) {
    const spec = templates[name];
    if (!spec) throw new Error(`no template ${name}.hbs in templates/`);
    template = runtime.template(spec as TemplateSpecification);
    compiled.set(name, template);
  }
  return template(view);
}
