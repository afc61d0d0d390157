/**
 * Registers only the ECharts parts the workbench draws with (keeps the bundle small). Imported once by
 * the chart component; the option builders (src/shared/charts) never import ECharts.
 */
import { use } from 'echarts/core';
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers';
import { BarChart, HeatmapChart, LineChart, LinesChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TitleComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';

use([
  CanvasRenderer,
  SVGRenderer,
  LineChart,
  ScatterChart,
  BarChart,
  HeatmapChart,
  LinesChart,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
]);
